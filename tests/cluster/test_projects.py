"""Projects against the real control plane: creation, the index, members, deletion."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from kubernetes import client

from actions.models import Action
from actions.refusal import Refused
from kube import Conflict, identity_for_user
from projects import cluster as cluster_projects
from projects import services
from tests.helpers import SMALL, bind, signed_in, unique_name, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def action_id_from(response) -> int:
    match = re.search(r"/actions/(\d+)/", response["Location"])
    assert match, response["Location"]
    return int(match.group(1))


def finished(action_id: int) -> Action:
    def done():
        action = Action.objects.get(pk=action_id)
        return action if action.is_finished else None

    return wait_for(done, timeout=60, message=f"action {action_id} to finish")


def test_create_project_through_the_form(people, berth_cluster, celery_worker, admin_client):
    name = unique_name("web")
    alice = signed_in(people["alice"])
    response = alice.post(
        "/projects/new/",
        {"name": name, "display_name": "Web <shop>", "description": "The shop", "quota": "small"},
    )
    assert response.status_code == 302
    action_id = action_id_from(response)
    action = finished(action_id)
    try:
        assert action.state == Action.State.SUCCEEDED, action.message
        assert response["Location"].endswith("?follow=1")
        # Finished before the page showed: the person lands on the project at once;
        # opened later from the history, the action page stays.
        assert alice.get(response["Location"])["Location"] == f"/projects/{name}/"
        assert alice.get(f"/actions/{action_id}/").status_code == 200
        ns = client.CoreV1Api(admin_client).read_namespace(name)
        assert ns.metadata.labels[cluster_projects.PROJECT_LABEL] == "true"
        assert ns.metadata.annotations[cluster_projects.DISPLAY_NAME] == "Web <shop>"
        assert ns.metadata.annotations[cluster_projects.REQUESTER] == "alice"
        bindings = client.RbacAuthorizationV1Api(admin_client).list_namespaced_role_binding(name).items
        assert [(b.role_ref.name, b.subjects[0].name) for b in bindings] == [("admin", "alice")]
        quota = client.CoreV1Api(admin_client).read_namespaced_resource_quota("berth-quota", name)
        assert quota.spec.hard["pods"] == "10" and quota.spec.hard["limits.memory"] == "4Gi"
        assert client.CoreV1Api(admin_client).read_namespaced_limit_range("berth-limits", name)

        listing = wait_for(
            lambda: page if name in (page := alice.get("/projects/").content.decode()) else None,
            message="the new project in the list",
        )
        assert "Web &lt;shop&gt;" in listing and "<shop>" not in listing
        # Quota use shows once the quota controller has counted.
        wait_for(
            lambda: "0/10 pods" in alice.get("/projects/").content.decode(), message="quota use in the list"
        )
        overview = alice.get(f"/projects/{name}/")
        assert overview.status_code == 200
        assert b'data-testid="quota-pods"' in overview.content
        assert b"project.create" in overview.content  # the audit trail
    finally:
        client.CoreV1Api(admin_client).delete_namespace(name)


def test_create_again_after_a_crash_finishes_the_job(people, make_project, admin_client):
    name = make_project(people["alice"])
    rbac = client.RbacAuthorizationV1Api(admin_client)
    core = client.CoreV1Api(admin_client)
    # A crash after the namespace: the rest is missing.
    for binding in rbac.list_namespaced_role_binding(name).items:
        rbac.delete_namespaced_role_binding(binding.metadata.name, name)
    core.delete_namespaced_resource_quota("berth-quota", name)
    cluster_projects.project_create(
        identity_for_user(people["alice"]),
        name=name,
        display_name="",
        description="",
        quota=SMALL,
        action_id=0,
    )
    assert len(rbac.list_namespaced_role_binding(name).items) == 1
    assert core.read_namespaced_resource_quota("berth-quota", name)


def test_a_taken_name_is_refused(people, berth_cluster, namespace, make_project):
    alice = signed_in(people["alice"])
    response = alice.post("/projects/new/", {"name": namespace, "quota": "small"})
    assert response.status_code == 200
    assert "already taken" in response.content.decode()
    assert not Action.objects.exists()
    # The same name by another action (someone else's project) fails, not hijacks.
    taken = make_project(people["bob"])
    with pytest.raises(Conflict):
        cluster_projects.project_create(
            identity_for_user(people["alice"]),
            name=taken,
            display_name="",
            description="",
            quota=SMALL,
            action_id=999,
        )


def test_a_custom_quota_is_for_cluster_administrators(people, cluster_admin, celery_worker, admin_client):
    name = unique_name()
    custom = {"name": name, "quota": "custom", "cpu": "2", "memory": "1Gi", "pods": "3", "pvcs": "1"}
    custom["storage"] = "1Gi"
    alice = signed_in(people["alice"])
    page = alice.get("/projects/new/").content.decode()
    assert "Custom (cluster administrators)" in page and 'name="cpu"' not in page
    refused = alice.post("/projects/new/", custom)
    assert "A custom quota is for cluster administrators" in " ".join(refused.context["form"].errors["quota"])
    # A hand-made request past the form is refused by the service all the same.
    with pytest.raises(Refused, match="for cluster administrators") as caught:
        services.project_create(
            user=people["alice"], name="ok-name", display_name="", description="", quota={**SMALL, "cpu": "9"}
        )
    assert caught.value.field == "quota" and not Action.objects.exists()
    # A preset is anyone's; an administrator may choose any quota.
    assert 'name="cpu"' in signed_in(cluster_admin).get("/projects/new/").content.decode()
    created = finished(action_id_from(signed_in(cluster_admin).post("/projects/new/", custom)))
    try:
        assert created.state == "succeeded", created.message
        quota = client.CoreV1Api(admin_client).read_namespaced_resource_quota("berth-quota", name)
        assert quota.spec.hard["pods"] == "3" and quota.spec.hard["limits.memory"] == "1Gi"
    finally:
        client.CoreV1Api(admin_client).delete_namespace(name)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "Bad_Name"}, "name", "lower-case letters"),
        ({"name": "kube-mine"}, "name", "reserved"),
        ({"name": "default"}, "name", "reserved"),
        ({"name": "a" * 64}, "name", "63"),
        ({"name": "ok-name", "quota": "custom", "cpu": "lots"}, "cpu", "not a Kubernetes quantity"),
        ({"name": "ok-name", "quota": "custom", "memory": "1000Ti"}, "memory", "At most"),
        ({"name": "ok-name", "quota": "custom", "pods": "0"}, "pods", "greater than or equal to 1"),
    ],
)
def test_bad_input_gets_a_message_at_the_field(cluster_admin, form, field, message):
    data = {"quota": "small", **form}
    response = signed_in(cluster_admin).post("/projects/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not Action.objects.exists()


def test_my_projects_follow_rolebindings_made_outside_berth(people, make_project, admin_client):
    name = make_project(people["alice"], display_name="Shop")
    carol = signed_in(people["carol"])
    assert name not in carol.get("/projects/").content.decode()
    binding = bind(admin_client, name, "view", group="qa")
    # The index follows the cluster's RoleBindings by a watch: within moments.
    rows = wait_for(
        lambda: page if name in (page := carol.get("/projects/").content.decode()) else None,
        message="the project in carol's list",
    )
    assert 'data-testid="my-role">view<' in rows
    client.RbacAuthorizationV1Api(admin_client).delete_namespaced_role_binding(binding, name)
    wait_for(lambda: name not in carol.get("/projects/").content.decode(), message="the project gone")


def test_the_index_is_kept_by_watches_and_lists_nothing_per_view(people, make_project, admin_client):
    from django.contrib.auth import get_user_model

    from kube import informer

    name = make_project(people["alice"])
    alice = signed_in(people["alice"])
    dave = signed_in(get_user_model().objects.create_user("dave", password="x-unused"))
    wait_for(lambda: name in alice.get("/projects/").content.decode(), message="the project in the list")
    caches = {
        resource: cache
        for (_namespace, resource), cache in informer.informers().items()
        if resource in ("projects", "project-grants", "project-quotas")
    }
    assert set(caches) == {"projects", "project-grants", "project-quotas"}
    lists = {resource: cache.lists for resource, cache in caches.items()}
    for _ in range(3):
        assert name not in dave.get("/projects/").content.decode()
    bind(admin_client, name, "edit", user="dave")
    rows = wait_for(
        lambda: page if name in (page := dave.get("/projects/").content.decode()) else None,
        message="the binding made outside Berth in dave's list",
    )
    assert 'data-testid="my-role">edit<' in rows
    client.CoreV1Api(admin_client).patch_namespace(
        name, {"metadata": {"annotations": {cluster_projects.DISPLAY_NAME: "Renamed <b>"}}}
    )
    wait_for(lambda: "Renamed &lt;b&gt;" in dave.get("/projects/").content.decode(), message="the new name")
    assert {resource: cache.lists for resource, cache in caches.items()} == lists


def test_the_switcher_links_the_same_section_of_my_other_projects(people, make_project, admin_client):
    first, second = make_project(people["alice"]), make_project(people["alice"])
    theirs = make_project(people["bob"])
    alice = signed_in(people["alice"])
    assert 'data-testid="project-switcher"' in alice.get(f"/projects/{first}/pods/").content.decode()
    switch = {"section": "pods", "current": first}
    listed = wait_for(
        lambda: page if second in (page := alice.get("/projects/switch/", switch).content.decode()) else None,
        message="the second project in the switcher",
    )
    assert f'href="/projects/{second}/pods/" data-testid="switch-to"' in listed
    assert f"/projects/{first}/" not in listed and theirs not in listed
    unknown = alice.get("/projects/switch/", {"section": "nowhere"}).content.decode()
    assert f'href="/projects/{second}/" data-testid="switch-to"' in unknown
    assert Client().get("/projects/switch/").status_code == 302  # signed in only


def test_a_person_may_ask_for_so_many_projects(people, make_project, settings):
    asked = cluster_projects.projects_requested_by("carol")
    settings.BERTH_MAX_PROJECTS_PER_PERSON = asked + 1
    make_project(people["carol"])
    carol = signed_in(people["carol"])
    data = {"name": unique_name(), "display_name": "", "description": "", "quota": "small"}
    refused = carol.post("/projects/new/", data)
    assert refused.status_code == 200  # the form again, as for any refusal at a field
    message = f"You have asked for {asked + 1} projects, the most one person may"
    assert message in " ".join(refused.context["form"].errors["name"])
    assert not Action.objects.filter(kind="project.create").exists()


def test_search_by_name(people, make_project):
    first, second = make_project(people["alice"]), make_project(people["alice"])
    alice = signed_in(people["alice"])
    wait_for(lambda: second in alice.get("/projects/").content.decode(), message="both in the list")
    page = alice.get("/projects/", {"q": first}).content.decode()
    assert first in page and second not in page


def test_many_projects_are_paged_and_the_search_is_kept(people, make_project, monkeypatch):
    from projects import views

    monkeypatch.setattr(views, "PROJECTS_PAGE_SIZE", 1)
    prefix = unique_name("pages")  # other tests' projects of alice's may be in the cluster
    first, second = make_project(people["alice"], f"{prefix}-a"), make_project(people["alice"], f"{prefix}-b")
    alice = signed_in(people["alice"])

    def listed(**params) -> str:
        return alice.get("/projects/", {"q": prefix, **params}).content.decode()

    wait_for(lambda: second in listed(page=2), message="both listed")
    one = listed()
    assert first in one and second not in one and "Page 1 of 2 (2 projects)" in one
    assert f"?q={prefix}&amp;page=2" in one
    two = listed(page=2)
    assert second in two and first not in two and f"?q={prefix}&amp;page=1" in two
    assert first in listed(page="junk")  # the first page, not an error


def test_members_add_change_remove_and_last_admin(people, make_project, celery_worker):
    name = make_project(people["alice"])
    alice = signed_in(people["alice"])

    def run(path, data):
        response = alice.post(f"/projects/{name}/members/{path}/", data)
        assert response.status_code == 302, response.content[:500]
        return finished(action_id_from(response))

    assert run("set", {"kind": "User", "name": "bob", "role": "view"}).state == "succeeded"

    def warnings(response) -> list[str]:
        return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]

    typo = alice.post(f"/projects/{name}/members/set/", {"kind": "User", "name": "bbo", "role": "view"})
    assert warnings(typo) == [
        "Berth has no user named bbo: check the spelling, unless they sign in to the cluster some other way."
    ]
    known = alice.post(f"/projects/{name}/members/set/", {"kind": "User", "name": "carol", "role": "view"})
    assert known.status_code == 302 and not any("carol" in m for m in warnings(known))
    project = cluster_projects.project_get(identity_for_user(people["bob"]), name)
    assert project.my_role == "view"
    assert run("set", {"kind": "User", "name": "bob", "role": "edit"}).state == "succeeded"
    assert cluster_projects.project_get(identity_for_user(people["bob"]), name).my_role == "edit"
    assert run("remove", {"kind": "User", "name": "bob"}).state == "succeeded"
    bob = signed_in(people["bob"])
    wait_for(lambda: name not in bob.get("/projects/").content.decode(), message="the project gone")

    demote = alice.post(f"/projects/{name}/members/set/", {"kind": "User", "name": "alice", "role": "view"})
    assert demote.status_code == 400 and "last admin" in demote.content.decode()
    remove = alice.post(f"/projects/{name}/members/remove/", {"kind": "User", "name": "alice"}, follow=True)
    assert "last admin" in remove.content.decode()
    refused = alice.post(
        f"/projects/{name}/members/set/", {"kind": "User", "name": "system:admin", "role": "view"}
    )
    assert refused.status_code == 400 and "reserved by Kubernetes" in refused.content.decode()
    assert cluster_projects.project_get(identity_for_user(people["alice"]), name).my_role == "admin"


def test_delete_project(people, make_project, celery_worker, admin_client):
    name = make_project(people["alice"])
    alice = signed_in(people["alice"])
    wrong = alice.post(f"/projects/{name}/delete/", {"confirm": "nope"})
    assert wrong.status_code == 200 and f"Type {name} exactly" in wrong.content.decode()
    response = alice.post(f"/projects/{name}/delete/", {"confirm": name})
    action = finished(action_id_from(response))
    assert action.state == "succeeded", action.message

    def gone_or_terminating():
        try:
            ns = client.CoreV1Api(admin_client).read_namespace(name)
        except client.exceptions.ApiException as exc:
            return exc.status == 404
        return ns.status.phase == "Terminating"

    wait_for(gone_or_terminating, timeout=30, message="the namespace to terminate")


def test_unreachable_cluster_is_a_page_not_a_500(people, berth_cluster, settings, tmp_path):
    # Berth started against a cluster that does not answer: no cache of it holds anything.
    from kube import informer
    from kube.client import reset_config

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        "clusters: [{name: x, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: x, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\n"
    )
    settings.KUBECONFIG = str(kubeconfig)
    informer.stop_all()
    reset_config()
    try:
        response = signed_in(people["alice"]).get("/projects/")
    finally:
        informer.stop_all()
        settings.KUBECONFIG = str(berth_cluster.kubeconfig)
        reset_config()
    assert response.status_code == 503
    assert "The cluster is not answering" in response.content.decode()


def test_plain_kubernetes_has_no_openshift_project_api(berth_cluster):
    # The devcluster is plain Kubernetes: projects are Namespaces made by Berth.
    assert cluster_projects.openshift_projects_available() is False
