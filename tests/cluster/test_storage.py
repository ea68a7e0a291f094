"""Volumes against the real control plane and a real worker.

The devcluster has no storage class and no provisioner: the fixture makes the
class ``berth-test`` (no provisioner, Immediate binding), and a test that needs
a Bound claim makes a PersistentVolume pre-bound to it, so the status shown is
the cluster's own (kwok's kubelet never mounts the hostPath).
"""

from __future__ import annotations

import contextlib

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from actions.models import Action
from tests.helpers import action_from, bind, make_deployment, revision, signed_in, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
STORAGE_CLASS = "berth-test"
GROWING_CLASS = "berth-test-grow"  # allowVolumeExpansion


@pytest.fixture(scope="session")
def storage_class(berth_cluster, admin_client) -> str:
    """Made once, left in place: other runs on the same plane use it too."""
    with contextlib.suppress(ApiException):  # 409: there already
        client.StorageV1Api(admin_client).create_storage_class(
            {
                "metadata": {"name": STORAGE_CLASS, "labels": {"berth.dev/test": "true"}},
                "provisioner": "kubernetes.io/no-provisioner",
                "volumeBindingMode": "Immediate",
                "reclaimPolicy": "Retain",
            }
        )
    return STORAGE_CLASS


@pytest.fixture
def persistent_volume(admin_client):
    """make(namespace, claim, size): a PV pre-bound to that claim; deleted after the test."""
    made: list[str] = []

    def make(namespace: str, claim: str, size: str = "1Gi", storage_class: str = STORAGE_CLASS) -> str:
        name = f"{namespace}-{claim}"[:253]
        client.CoreV1Api(admin_client).create_persistent_volume(
            {
                "metadata": {"name": name, "labels": {"berth.dev/test": "true"}},
                "spec": {
                    "capacity": {"storage": size},
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": storage_class,
                    "persistentVolumeReclaimPolicy": "Retain",
                    "hostPath": {"path": f"/tmp/berth-test/{name}"},
                    "claimRef": {"namespace": namespace, "name": claim},
                },
            }
        )
        made.append(name)
        return name

    yield make
    for name in made:
        with contextlib.suppress(ApiException):
            client.CoreV1Api(admin_client).delete_persistent_volume(name)


@pytest.fixture
def project(people, make_project, admin_client, storage_class):
    """alice admin, bob viewer, carol editor."""
    name = make_project(people["alice"])
    bind(admin_client, name, "view", user="bob")
    bind(admin_client, name, "edit", user="carol")
    return name


def make_claim(
    admin_client, namespace: str, name: str, size: str = "1Gi", storage_class: str = STORAGE_CLASS
):
    client.CoreV1Api(admin_client).create_namespaced_persistent_volume_claim(
        namespace,
        {
            "metadata": {"name": name},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": storage_class,
                "resources": {"requests": {"storage": size}},
            },
        },
    )


def claims(admin_client, namespace: str) -> dict:
    items = client.CoreV1Api(admin_client).list_namespaced_persistent_volume_claim(namespace).items
    return {c.metadata.name: c for c in items}


def template(admin_client, namespace: str, name: str = "web"):
    return client.AppsV1Api(admin_client).read_namespaced_deployment(name, namespace).spec.template.spec


def test_create_a_volume_that_binds(people, project, admin_client, celery_worker, persistent_volume):
    alice = signed_in(people["alice"])
    form = alice.get(f"/projects/{project}/volumes/new/").content.decode()
    assert f'value="{STORAGE_CLASS}"' in form
    persistent_volume(project, "data", size="2Gi")
    action = action_from(
        alice.post(
            f"/projects/{project}/volumes/new/",
            {"name": "data", "size": "1Gi", "access_mode": "ReadWriteOnce", "storage_class": STORAGE_CLASS},
        )
    )
    assert action.state == "succeeded", action.message
    assert action.next_url == f"/projects/{project}/volumes/data/"
    claim = claims(admin_client, project)["data"]
    assert (
        claim.spec.storage_class_name == STORAGE_CLASS and claim.spec.resources.requests["storage"] == "1Gi"
    )
    wait_for(
        lambda: claims(admin_client, project)["data"].status.phase == "Bound", message="the claim to bind"
    )
    listed = alice.get(f"/projects/{project}/volumes/").content.decode()
    assert 'data-volume="data" data-status="Bound"' in listed
    assert 'data-testid="volume-capacity">2Gi<' in listed and "ReadWriteOnce" in listed
    detail = alice.get(f"/projects/{project}/volumes/data/").content.decode()
    assert (
        'data-status="Bound"' in detail
        and f"{project}-data" in detail
        and 'data-testid="not-mounted"' in detail
    )


def test_a_claim_without_a_volume_stays_pending(people, project, admin_client, celery_worker):
    alice = signed_in(people["alice"])
    action = action_from(
        alice.post(
            f"/projects/{project}/volumes/new/",
            {
                "name": "lonely",
                "size": "500Mi",
                "access_mode": "ReadWriteOnce",
                "storage_class": STORAGE_CLASS,
            },
        )
    )
    assert action.state == "succeeded", action.message
    listed = alice.get(f"/projects/{project}/volumes/").content.decode()
    assert 'data-volume="lonely" data-status="Pending"' in listed and "500Mi" in listed


def test_bad_volume_input_is_refused_at_the_field_and_creates_nothing(people, project, admin_client):
    alice = signed_in(people["alice"])
    make_claim(admin_client, project, "taken")
    cases = [
        ({"size": "lots"}, "size", "is not a size"),
        ({"size": "1GB"}, "size", "is not a size"),
        ({"size": "0"}, "size", "more than zero"),
        ({"storage_class": "gold"}, "storage_class", "no storage class 'gold'"),
        ({"access_mode": "WriteAll"}, "access_mode", "Select a valid choice"),
        ({"name": "Data_1"}, "name", "lower-case"),
        ({"name": "taken"}, "name", "exists already"),
    ]
    for change, field, message in cases:
        data = {"name": "data", "size": "1Gi", "access_mode": "ReadWriteOnce", "storage_class": STORAGE_CLASS}
        response = alice.post(f"/projects/{project}/volumes/new/", {**data, **change})
        assert response.status_code == 400, change
        assert f'data-testid="error-{field}"' in response.content.decode(), change
        assert message in " ".join(response.context["form"].errors[field]), response.context["form"].errors
    assert not Action.objects.exists()
    assert list(claims(admin_client, project)) == ["taken"]


def test_attach_rolls_out_a_new_revision_and_detach_another(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    make_claim(admin_client, project, "data")
    make_claim(admin_client, project, "other")
    wait_for(lambda: revision(admin_client, project, "web") == "1", message="revision 1")
    carol = signed_in(people["carol"])
    action = action_from(
        carol.post(f"/projects/{project}/volumes/data/attach/", {"deployment": "web", "mount_path": "/data/"})
    )
    assert action.state == "succeeded", action.message
    spec = template(admin_client, project)
    assert [(v.name, v.persistent_volume_claim.claim_name) for v in spec.volumes] == [("data", "data")]
    assert [(m.name, m.mount_path) for m in spec.containers[0].volume_mounts] == [("data", "/data")]
    wait_for(lambda: revision(admin_client, project, "web") == "2", message="revision 2")
    detail = carol.get(f"/projects/{project}/volumes/data/").content.decode()
    assert 'data-deployment="web"' in detail and 'data-testid="mount-revision">2<' in detail
    assert 'data-testid="mount-paths">/data<' in detail
    listed = carol.get(f"/projects/{project}/volumes/").content.decode()
    assert f'href="/projects/{project}/deployments/web/">web</a>' in listed

    # The same mount again, or another volume at the same path: refused at the field, nothing queued.
    before = Action.objects.count()
    again = carol.post(
        f"/projects/{project}/volumes/data/attach/", {"deployment": "web", "mount_path": "/data"}
    )
    assert (
        again.status_code == 400 and "already mounted" in again.context["attach_form"].errors["mount_path"][0]
    )
    clash = carol.post(
        f"/projects/{project}/volumes/other/attach/", {"deployment": "web", "mount_path": "/data"}
    )
    assert (
        clash.status_code == 400
        and "Choose another path" in clash.context["attach_form"].errors["mount_path"][0]
    )
    bad = carol.post(
        f"/projects/{project}/volumes/other/attach/", {"deployment": "nope", "mount_path": "data"}
    )
    assert set(bad.context["attach_form"].errors) == {"deployment", "mount_path"}
    assert Action.objects.count() == before

    action = action_from(carol.post(f"/projects/{project}/volumes/data/detach/", {"deployment": "web"}))
    assert action.state == "succeeded", action.message
    spec = template(admin_client, project)
    assert not spec.volumes and not spec.containers[0].volume_mounts
    wait_for(lambda: revision(admin_client, project, "web") == "3", message="revision 3")
    assert 'data-testid="not-mounted"' in carol.get(f"/projects/{project}/volumes/data/").content.decode()


def test_delete_is_refused_while_mounted_unless_detaching_is_confirmed(
    people, project, admin_client, celery_worker
):
    make_deployment(admin_client, project)
    make_claim(admin_client, project, "data")
    alice = signed_in(people["alice"])
    attached = action_from(
        alice.post(f"/projects/{project}/volumes/data/attach/", {"deployment": "web", "mount_path": "/data"})
    )
    assert attached.state == "succeeded", attached.message
    before = Action.objects.count()
    page = alice.get(f"/projects/{project}/volumes/data/delete/").content.decode()
    assert 'name="detach"' in page and "mounted by web" in page
    refused = alice.post(f"/projects/{project}/volumes/data/delete/", {})
    assert refused.status_code == 400 and "mounted by web" in refused.context["form"].errors["detach"][0]
    assert Action.objects.count() == before and "data" in claims(admin_client, project)

    action = action_from(alice.post(f"/projects/{project}/volumes/data/delete/", {"detach": "on"}))
    assert action.state == "succeeded", action.message
    assert "after detaching it from web" in action.message
    assert not template(admin_client, project).volumes

    def gone_or_terminating() -> bool:
        claim = claims(admin_client, project).get("data")
        return claim is None or claim.metadata.deletion_timestamp is not None

    wait_for(gone_or_terminating, message="the claim to be deleted")


def test_a_volume_mounted_after_the_form_is_not_deleted(people, project, admin_client, celery_worker):
    """The worker checks again: mounted between the form and the task, it refuses."""
    from actions import services as action_services
    from projects import selectors as project_selectors

    make_deployment(admin_client, project)
    make_claim(admin_client, project, "data")
    target = project_selectors.project_get(user=people["alice"], name=project)
    client.AppsV1Api(admin_client).patch_namespaced_deployment(
        "web",
        project,
        {
            "spec": {
                "template": {
                    "spec": {
                        "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}],
                        "containers": [{"name": "web", "volumeMounts": [{"name": "d", "mountPath": "/d"}]}],
                    }
                }
            }
        },
    )
    # As if the form had been read before the patch above: queued without detaching.
    action_services.action_start(
        kind="volume.delete",
        user=people["alice"],
        project=target.name,
        target="volume/data",
        parameters={"name": "data", "detach": False},
    )
    action = wait_for(
        lambda: Action.objects.filter(state__in=["succeeded", "failed"]).first(), message="the task"
    )
    assert action.state == "failed" and "mounted by web" in action.message
    assert "data" in claims(admin_client, project)


def test_permission_matrix(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    make_claim(admin_client, project, "data")
    erin = get_user_model().objects.create_user("erin", password="x")
    base = f"/projects/{project}"
    pages = [f"{base}/volumes/", f"{base}/volumes/data/"]
    edit_pages = [f"{base}/volumes/new/", f"{base}/volumes/data/delete/"]
    posts = [
        (
            f"{base}/volumes/new/",
            {"name": "new", "size": "1Gi", "access_mode": "ReadWriteOnce", "storage_class": STORAGE_CLASS},
        ),
        (f"{base}/volumes/data/attach/", {"deployment": "web", "mount_path": "/data"}),
        (f"{base}/volumes/data/detach/", {"deployment": "web"}),
        (f"{base}/volumes/data/delete/", {"detach": "on"}),
    ]
    anonymous = Client()
    for url in pages + edit_pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url, data in posts:
        assert anonymous.post(url, data).status_code == 302, url
    nobody = signed_in(erin)
    for url in pages + edit_pages:
        assert nobody.get(url).status_code == 404, url
    for url, data in posts:
        assert nobody.post(url, data).status_code == 404, url

    bob = signed_in(people["bob"])  # view
    listed = bob.get(f"{base}/volumes/").content.decode()
    assert 'data-volume="data"' in listed and 'data-testid="create-volume"' not in listed
    detail = bob.get(f"{base}/volumes/data/").content.decode()
    for hidden in ("attach-form", "delete-volume", "detach-web"):
        assert f'data-testid="{hidden}"' not in detail, hidden
    for url in edit_pages:
        assert bob.get(url).status_code == 403, url
    for url, data in posts:
        assert bob.post(url, data).status_code == 403, url
    assert not Action.objects.exists()

    carol = signed_in(people["carol"])  # edit
    assert 'data-testid="create-volume"' in carol.get(f"{base}/volumes/").content.decode()
    assert 'data-testid="attach-form"' in carol.get(f"{base}/volumes/data/").content.decode()
    action = action_from(carol.post(*posts[0]))
    assert action.state == "succeeded", action.message
    assert sorted(claims(admin_client, project)) == ["data", "new"]


def test_attach_rereads_a_deployment_changed_in_between(people, project, admin_client):
    """A template changed between Berth's read and its patch is read again, never overwritten."""
    from kube import identity_for_user
    from storage import cluster as cluster_storage

    make_deployment(admin_client, project)
    make_claim(admin_client, project, "data")
    apps = client.AppsV1Api(admin_client)
    calls = []

    def racing_patch(current: dict):
        calls.append(current["metadata"]["generation"])
        if len(calls) == 1:  # someone else changes the image after Berth read the deployment
            apps.patch_namespaced_deployment(
                "web",
                project,
                {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}},
            )
        return cluster_storage.attach_patch(current, claim="data", mount_path="/data")

    changed = cluster_storage._patch_template(
        identity_for_user(people["alice"]), namespace=project, deployment="web", make_patch=racing_patch
    )
    assert changed and len(calls) == 2 and calls[1] > calls[0]
    spec = template(admin_client, project)
    assert spec.containers[0].image == "web:2"  # the other change survived
    assert [m.mount_path for m in spec.containers[0].volume_mounts] == ["/data"]


@pytest.fixture(scope="session")
def growing_class(berth_cluster, admin_client) -> str:
    with contextlib.suppress(ApiException):  # 409: there already
        client.StorageV1Api(admin_client).create_storage_class(
            {
                "metadata": {"name": GROWING_CLASS, "labels": {"berth.dev/test": "true"}},
                "provisioner": "kubernetes.io/no-provisioner",
                "volumeBindingMode": "Immediate",
                "reclaimPolicy": "Retain",
                "allowVolumeExpansion": True,
            }
        )
    return GROWING_CLASS


def test_grow_a_volume_and_say_its_capacity_follows(
    people, project, admin_client, celery_worker, persistent_volume, growing_class, settings
):
    """The cluster takes the new size at once; the devcluster's hostPath volumes never grow,
    so the action says the capacity is still the old one rather than claim it grew."""
    settings.BERTH_VOLUME_EXPAND_WAIT = 2
    persistent_volume(project, "data", size="1Gi", storage_class=growing_class)
    make_claim(admin_client, project, "data", storage_class=growing_class)
    make_claim(admin_client, project, "fixed")  # a class that doesn't allow growing
    persistent_volume(project, "fixed")
    for name in ("data", "fixed"):
        wait_for(
            lambda n=name: claims(admin_client, project)[n].status.phase == "Bound", message=f"{name} bound"
        )
    carol, bob = signed_in(people["carol"]), signed_in(people["bob"])
    assert bob.post(f"/projects/{project}/volumes/data/expand/", {"size": "2Gi"}).status_code == 403
    assert 'data-testid="expand-form"' in carol.get(f"/projects/{project}/volumes/data/").content.decode()
    fixed = carol.get(f"/projects/{project}/volumes/fixed/").content.decode()
    assert 'data-testid="expand-form"' not in fixed and "does not let volumes grow" in fixed

    for volume, size, message in [
        ("data", "1Gi", "has 1Gi now: give a larger size"),
        ("data", "512Mi", "has 1Gi now"),
        ("data", "lots", "is not a size"),
        ("fixed", "2Gi", f"The storage class {STORAGE_CLASS} does not let volumes grow"),
    ]:
        refused = carol.post(f"/projects/{project}/volumes/{volume}/expand/", {"size": size})
        assert refused.status_code == 400, (volume, size)
        assert message in " ".join(refused.context["expand_form"].errors["size"]), (volume, size)
    assert not Action.objects.exists()

    action = action_from(carol.post(f"/projects/{project}/volumes/data/expand/", {"size": "2Gi"}))
    assert action.state == "succeeded", action.message
    assert action.message.startswith("The cluster took 2Gi for data; its capacity is still 1Gi"), (
        action.message
    )
    assert claims(admin_client, project)["data"].spec.resources.requests["storage"] == "2Gi"
    page = carol.get(f"/projects/{project}/volumes/data/").content.decode()
    assert 'data-testid="volume-growing">(growing to 2Gi)' in page
