"""The permission matrix of every project-scoped URL and websocket, generated from
the URL configuration (NetBox's ``ViewTestCases`` idea).

A new view under ``projects/<label:name>/`` is in the matrix by itself: if it has no
``project_view`` access check, or lets someone through that it should not, a
test here fails without anyone having written one for it.

- anonymous → the login page, for GET and POST;
- no role in the project → 404 (its existence is not revealed);
- a role below what the view needs → 403;
- the role it needs, or a stronger one → served (the page, or the form's own
  answer) for the methods the view declares, and 405 for the others (a POST on a
  page, a GET on a form's address); never 403/404/500.

The project holds one object of each kind the URLs name (a deployment and its
pod, a service, a route, a volume, a build config with a build), so "served"
means the real page. Mutations queue actions in a transaction that is never
committed: nothing runs.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from kubernetes import client

from actions.models import Action
from builds.models import Build, BuildConfig
from catalog.models import ProjectTemplate
from devcluster import logs
from devcluster.placement import use_fake_nodes
from images import registry
from kube.client import make_identity
from projects import cluster as cluster_projects
from projects.roles import ROLES, role_at_least
from tests.helpers import (
    CONVERTER,
    SMALL,
    bind,
    make_deployment,
    object_routes,
    project_routes,
    session_cookie,
    signed_in,
    unique_name,
    wait_for,
    websocket,
    websocket_patterns,
)
from workloads.models import CommandRun

# Served only where Berth is the registry's token service (the real node's tests).
NEEDS_THE_REGISTRY = {"images:tag", "images:untag"}
PERSONS = ("anonymous", "none", "view", "edit", "admin")
USERS = {"none": "dave", "view": "carol", "edit": "bob", "admin": "alice"}
# tests/web/test_access_checks.py checks that every URL and websocket is one of these
# (or a webhook, or a page of no project).
ROUTES = project_routes()
# Pages and sockets addressed by an object's id, whose access follows its project's.
OBJECT_ROUTES = object_routes()
WEBSOCKETS = [p for p in websocket_patterns() if "<label:name>" in p]
# Sockets that need more than a role in the project (the rest show what viewers see).
SOCKET_ROLES = {
    "ws/projects/<label:name>/pods/<subdomain:pod>/terminal/": "edit",
    "ws/projects/<label:name>/runs/<int:run>/terminal/": "edit",
}
OBJECT_WEBSOCKETS = [p for p in websocket_patterns() if "<label:name>" not in p]


@pytest.fixture(scope="module")
def objects(berth_cluster, admin_client, tmp_path_factory):
    """A project with one object of each kind, alice admin, bob edit, carol view."""
    name = unique_name("matrix")
    cluster_projects.project_create(
        make_identity("alice"), name=name, display_name="", description="", quota=SMALL, action_id=0
    )
    core = client.CoreV1Api(admin_client)
    use_fake_nodes(core, name)  # its pod is kwok's: nothing here needs it to run
    bind(admin_client, name, "edit", user="bob")
    bind(admin_client, name, "view", user="carol")
    make_deployment(admin_client, name, "web")
    core.create_namespaced_service(
        name,
        {
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
        },
    )
    client.NetworkingV1Api(admin_client).create_namespaced_ingress(
        name,
        {
            "metadata": {"name": "web"},
            "spec": {
                "rules": [
                    {
                        "host": f"web-{name}.matrix.test",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    core.create_namespaced_persistent_volume_claim(
        name,
        {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    )
    core.create_namespaced_config_map(name, {"metadata": {"name": "app-settings"}, "data": {"MODE": "prod"}})
    core.create_namespaced_secret(name, {"metadata": {"name": "app-settings"}, "stringData": {"KEY": "v"}})
    pod_template = {
        "metadata": {"labels": {"app": "db"}},
        "spec": {"containers": [{"name": "main", "image": "db:1"}], "restartPolicy": "Never"},
    }
    client.AppsV1Api(admin_client).create_namespaced_stateful_set(
        name,
        {
            "metadata": {"name": "db"},
            "spec": {
                "serviceName": "db",
                "replicas": 0,
                "selector": {"matchLabels": {"app": "db"}},
                "template": {**pod_template, "spec": {**pod_template["spec"], "restartPolicy": "Always"}},
            },
        },
    )
    batch = client.BatchV1Api(admin_client)
    batch.create_namespaced_job(
        name, {"metadata": {"name": "once"}, "spec": {"suspend": True, "template": pod_template}}
    )
    batch.create_namespaced_cron_job(
        name,
        {
            "metadata": {"name": "nightly"},
            "spec": {
                "schedule": "0 3 * * *",
                "suspend": True,
                "jobTemplate": {"spec": {"template": pod_template}},
            },
        },
    )
    pod = wait_for(
        lambda: next(iter(core.list_namespaced_pod(name, label_selector="app=web").items), None),
        message="the deployment's pod",
    )
    # The pod is kwok's: give it a log to serve, as its container would.
    log = logs.write_lines(tmp_path_factory.mktemp("matrix") / "web.log", ["serving"])
    logs.attach_pod_log(admin_client, name, pod.metadata.name, log)
    logs.wait_for_log(admin_client, name, pod.metadata.name, contains="serving")
    yield {
        "name": name,
        "pod": pod.metadata.name,
        "deployment": "web",
        "service": "web",
        "route": "web",
        "volume": "data",
        "statefulset": "db",
        "job": "once",
        "cronjob": "nightly",
        "config": "app",
        "kind": "configmap",
        "item": "app-settings",
        "number": 1,
        "image": "web",
    }
    core.delete_namespace(name)


@pytest.fixture
def persons(objects, people):
    return make_persons(objects, people)


def make_persons(objects, people) -> tuple[dict, dict]:
    """The Django account of each column (None: anonymous), and the URL values: the
    cluster's objects (shared by the module) plus this test's build config, build and
    action (in this test's database)."""
    config = BuildConfig.objects.create(
        project=objects["name"],
        name="app",
        git_uri="https://example.com/app.git",
        output_image=f"registry.example.com/{objects['name']}/app:latest",
        github_secret="g" * 24,
        generic_secret="s" * 24,
        next_number=2,
    )
    build = Build.objects.create(config=config, number=1, requested_by_name="alice")
    action = Action.objects.create(
        kind="test.any", project=objects["name"], requested_by=people["alice"], requested_by_name="alice"
    )
    made = Action.objects.create(
        kind="template.instantiate",
        project=objects["name"],
        requested_by=people["alice"],
        requested_by_name="alice",
        parameters={"template": "t", "objects": [], "message": ""},
    )
    # An interactive run whose pod never came: its terminal says so (the real ones run in
    # tests/e2e/test_commands.py).
    run = CommandRun.objects.create(
        project=objects["name"],
        deployment="web",
        container="web",
        command="",
        kind=CommandRun.Kind.INTERACTIVE,
        requested_by=people["bob"],
        requested_by_name="bob",
    )
    kept = ProjectTemplate.objects.create(
        project=objects["name"], name="kept", text="{}", saved_by_name="alice"
    )
    values = {
        **objects,
        "pk": action.pk,
        "action_id": action.pk,
        "build_id": build.pk,
        "action": made.pk,
        "run": run.pk,
        "run_id": run.pk,
        "template": kept.name,  # (the every-project delete of a non-administrator: a message)
    }
    dave = get_user_model().objects.create_user(USERS["none"], password="x")
    accounts = {"anonymous": None, "none": dave, **{role: people[USERS[role]] for role in ROLES}}
    return accounts, values


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES + OBJECT_ROUTES, ids=lambda r: r.name)
def test_project_url(route, persons):
    accounts, values = persons
    url = route.url(values)
    # An object's page is any member's (actions: the project's audit trail), and only read.
    needed = getattr(route.view, "min_role", "view")
    methods = getattr(route.view, "methods", ("GET", "HEAD"))
    for column in PERSONS:
        person = accounts[column]
        web = signed_in(person) if person is not None else Client()
        for method in ("get", "post"):
            response = getattr(web, method)(url)
            status, location = response.status_code, response.get("Location", "")
            where = f"{method.upper()} {url} as {column}: {status} {location}"
            assert status != 500, where
            if column == "anonymous":
                assert status == 302 and location.startswith("/login/"), where
            elif column == "none":
                assert status == 404, where
            elif not role_at_least(column, needed):
                assert status == 403, where
            elif method.upper() not in methods:
                assert status == 405, where  # a page takes no POST; a form's address no GET
            elif method == "get":
                # The page, or one that needs a choice first (a rollback's revision)
                # sending the person back with a message.
                assert status in (200, 302) and not location.startswith("/login/"), where
            elif route.name in NEEDS_THE_REGISTRY and not registry.enabled():
                assert status == 404, where  # no registry of Berth's: there is no such image
            else:
                assert status not in (403, 404, 405) and not location.startswith("/login/"), where


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("column", PERSONS)
@pytest.mark.parametrize("pattern", WEBSOCKETS + OBJECT_WEBSOCKETS)
async def test_project_websocket(pattern, column, objects, people):
    from asgiref.sync import sync_to_async

    accounts, values = await sync_to_async(make_persons)(objects, people)
    path = "/" + CONVERTER.sub(lambda m: str(values[m.group(2)]), pattern.replace("<str:resource>", "pods"))
    user = accounts[column]
    cookie = b"" if user is None else await sync_to_async(session_cookie)(user)
    socket = websocket(path, cookie)
    connected, code = await socket.connect(timeout=10)
    try:
        if column == "anonymous":
            assert (connected, code) == (False, 4401), path
        elif column == "none":
            assert not connected and code in (4403, 4404), path
        elif not role_at_least(column, SOCKET_ROLES.get(pattern, "view")):
            assert (connected, code) == (False, 4403), f"{path} as {column}"
        else:
            assert connected, f"{path} as {column}: closed with {code}"
    finally:
        await socket.disconnect()
