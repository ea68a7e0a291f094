"""What Berth keeps about a project belongs to its namespace (by UID): a project deleted
and made again under the same name by someone else starts with nothing of the old one's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from kubernetes import client

from actions.models import Action
from builds.models import Build, BuildConfig, BuildLogLine
from catalog.models import ProjectTemplate
from projects import data
from projects.cluster import Project
from projects.models import ProjectRecord
from tests.helpers import action_from, signed_in, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def old_project_data(project: str, user) -> tuple[BuildConfig, Action]:
    config = BuildConfig.objects.create(
        project=project,
        name="web",
        git_uri="https://git.example.org/shop.git",
        output_image=f"r/{project}/web:latest",
        env={"DATABASE_PASSWORD": "old-secret"},
        github_secret="gh",
        generic_secret="gen",
        updated_by=user,
    )
    build = Build.objects.create(config=config, number=1, status="Complete", requested_by_name=user.username)
    BuildLogLine.objects.create(build=build, seq=1, text="password=old-secret")
    action = Action.objects.create(
        kind="deployment.scale", project=project, target="deployment/web", requested_by=user
    )
    ProjectTemplate.objects.create(project=project, name="shop", text="{}", saved_by_name=user.username)
    return config, action


def test_a_project_made_again_under_the_name_reads_nothing_of_the_old_one(people, make_project, admin_client):
    name = make_project(people["alice"])
    alice = signed_in(people["alice"])
    assert alice.get(f"/projects/{name}/").status_code == 200  # Berth records the namespace
    config, action = old_project_data(name, people["alice"])
    assert alice.get(f"/projects/{name}/builds/web/").status_code == 200

    # Deleted outside Berth (kubectl), then made again by carol.
    core = client.CoreV1Api(admin_client)
    core.delete_namespace(name)

    def gone():
        try:
            core.read_namespace(name)
        except client.exceptions.ApiException as exc:
            return exc.status == 404
        return False

    wait_for(gone, timeout=60, message="the namespace to go")
    make_project(people["carol"], name=name)

    # The webhook is the first to ask: the old secret builds nothing.
    assert Client().post(f"/webhooks/{name}/web/generic/gen/").status_code == 403
    assert not BuildConfig.objects.filter(pk=config.pk).exists()
    assert not BuildLogLine.objects.exists() and not Build.objects.exists()
    assert not Action.objects.filter(pk=action.pk).exists()
    assert not ProjectTemplate.objects.exists()
    new_uid = core.read_namespace(name).metadata.uid
    assert ProjectRecord.objects.get(name=name).uid == new_uid

    carol = signed_in(people["carol"])
    assert carol.get(f"/projects/{name}/builds/web/").status_code == 404
    assert "old-secret" not in carol.get(f"/projects/{name}/builds/").content.decode()
    assert carol.get(f"/actions/{action.pk}/").status_code == 404


def test_an_action_page_of_a_project_made_again_is_not_shown_to_its_new_members(
    people, make_project, admin_client
):
    """The action page is the other way in: by id, for anyone with a role in its project."""
    name = make_project(people["alice"])
    record = Project(name=name, display_name="", description="", requester="", status="Active", uid="old-uid")
    data.bind(record)
    _, action = old_project_data(name, people["alice"])
    # The namespace now has another UID than the recorded one (as after a delete and create).
    client.RbacAuthorizationV1Api(admin_client).create_namespaced_role_binding(
        name,
        {
            "metadata": {"name": "carol-view"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "carol"}],
        },
    )
    assert signed_in(people["carol"]).get(f"/actions/{action.pk}/").status_code == 404
    assert not Action.objects.filter(pk=action.pk).exists()
    assert not BuildConfig.objects.filter(project=name).exists()


def test_data_from_before_the_namespace_existed_is_not_its_own(people, db):
    """Without a record (data kept before records were): what was made before the namespace
    was created cannot be its; what was made since stays, and so does the action that made it."""
    now = timezone.now()
    config, old_action = old_project_data("reused", people["alice"])
    creating = Action.objects.create(kind="project.create", project="reused", requested_by=people["carol"])
    BuildConfig.objects.filter(pk=config.pk).update(created_at=now - timedelta(days=3))
    Action.objects.filter(pk__in=[old_action.pk, creating.pk]).update(created_at=now - timedelta(days=3))
    since = BuildConfig.objects.create(
        project="reused", name="api", git_uri="https://x/y.git", output_image="o"
    )
    data.bind(
        Project(
            name="reused",
            display_name="",
            description="",
            requester="carol",
            status="Active",
            created=now - timedelta(hours=1),
            uid="new-uid",
            created_by_action=creating.pk,
        )
    )
    assert list(BuildConfig.objects.values_list("pk", flat=True)) == [since.pk]
    assert list(Action.objects.values_list("pk", flat=True)) == [creating.pk]
    assert ProjectRecord.objects.get(name="reused").uid == "new-uid"


def test_deleting_a_project_through_berth_purges_its_data_and_keeps_the_record_of_it(
    people, make_project, celery_worker
):
    name = make_project(people["alice"])
    alice = signed_in(people["alice"])
    alice.get(f"/projects/{name}/")
    config, _action = old_project_data(name, people["alice"])
    deleted = action_from(alice.post(f"/projects/{name}/delete/", {"confirm": name}))
    assert deleted.state == "succeeded", deleted.message
    assert not BuildConfig.objects.filter(pk=config.pk).exists() and not BuildLogLine.objects.exists()
    assert list(Action.objects.filter(project=name).values_list("pk", flat=True)) == [deleted.pk]
    assert not ProjectRecord.objects.filter(name=name).exists()
