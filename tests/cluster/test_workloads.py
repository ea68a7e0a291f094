"""Pods and deployments against the real control plane, a real worker and the ASGI stack."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from kubernetes import client

from actions.models import Action
from devcluster import logs
from kube import NotFound, identity_for_user
from kube import informer as informer_module
from projects import selectors as project_selectors
from tests.helpers import (
    action_from,
    bind,
    make_deployment,
    revision,
    running_pods,
    session_cookie,
    signed_in,
    wait_for,
    websocket,
)
from workloads import cluster as cluster_workloads
from workloads import services as workload_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def project(people, make_project, admin_client):
    """alice admin, bob viewer."""
    name = make_project(people["alice"])
    bind(admin_client, name, "view", user="bob")
    return name


def test_scale_one_to_three_shows_three_running_pods(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    alice = signed_in(people["alice"])
    wait_for(lambda: len(running_pods(admin_client, project, "web")) == 1, message="1 running pod")
    action = action_from(alice.post(f"/projects/{project}/deployments/web/scale/", {"replicas": "3"}))
    # Succeeded means the pods are there and ready, not that the cluster took the number.
    assert (action.state, action.message) == ("succeeded", "Scaled web to 3: 3 of 3 pods ready."), (
        action.message
    )
    assert len(running_pods(admin_client, project, "web")) == 3

    def page_shows_three():
        body = alice.get(f"/projects/{project}/deployments/web/").content.decode()
        return body.count('data-status="Running"') == 3 and 'data-testid="ready-replicas">3<' in body

    wait_for(page_shows_three, message="the page to show 3 running pods")
    pods_page = alice.get(f"/projects/{project}/pods/", {"status": "Running"}).content.decode()
    assert pods_page.count('data-testid="pod-row"') == 3


def test_scaling_past_the_quota_fails_with_the_quotas_words(people, project, admin_client, celery_worker):
    # The project's quota (tests.helpers.SMALL) holds 2 CPUs of limits, 500m a pod: 4 pods.
    make_deployment(admin_client, project)
    alice = signed_in(people["alice"])
    wait_for(lambda: len(running_pods(admin_client, project, "web")) == 1, message="1 running pod")
    action = action_from(alice.post(f"/projects/{project}/deployments/web/scale/", {"replicas": "6"}))
    assert action.state == "failed", action.message
    assert action.message.startswith("Scaled web to 6, but the cluster refused to create its pods: ")
    assert "exceeded quota" in action.message and action.message.endswith("(4 of 6 pods ready)."), (
        action.message
    )


def test_a_missing_deployment_says_so_inside_its_project(people, project):
    alice = signed_in(people["alice"])
    response = alice.get(f"/projects/{project}/deployments/gone/")
    page = response.content.decode()
    assert response.status_code == 404 and 'data-testid="project-title"' in page
    assert f'href="/projects/{project}/"' in page and 'data-testid="error-back"' in page
    assert "No deployment named gone. It may have been deleted." in page


def test_fast_clicks_keep_the_last_value(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    alice = signed_in(people["alice"])
    for replicas in (2, 3, 2):
        assert (
            alice.post(f"/projects/{project}/deployments/web/scale/", {"replicas": replicas}).status_code
            == 302
        )
    actions = list(Action.objects.filter(kind="deployment.scale").order_by("pk"))
    for action in actions:
        wait_for(lambda a=action: a.refresh_from_db() or a.is_finished, message="scale actions")
    assert [a.state for a in actions] == ["succeeded"] * 3
    deployment = client.AppsV1Api(admin_client).read_namespaced_deployment("web", project)
    assert deployment.spec.replicas == 2


def test_scale_bounds_are_checked(people, project, admin_client, settings):
    make_deployment(admin_client, project)
    alice = signed_in(people["alice"])
    for bad in ("-1", "lots", str(settings.BERTH_MAX_REPLICAS + 1)):
        response = alice.post(
            f"/projects/{project}/deployments/web/scale/", {"replicas": bad}, HTTP_HX_REQUEST="true"
        )
        # 422: htmx puts it beside the control (tests/e2e/test_workloads.py sees it there).
        assert response.status_code == 422 and 'data-testid="scale-error"' in response.content.decode(), bad
    assert not Action.objects.exists()


def test_rollback_restores_the_image_as_a_new_revision(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project, image="web:1")
    apps = client.AppsV1Api(admin_client)
    wait_for(lambda: revision(admin_client, project, "web") == "1", message="revision 1")
    apps.patch_namespaced_deployment(
        "web", project, {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}
    )
    wait_for(lambda: revision(admin_client, project, "web") == "2", message="revision 2")
    alice = signed_in(people["alice"])
    preview = alice.get(f"/projects/{project}/deployments/web/rollback/", {"revision": 1}).content.decode()
    assert "web:2" in preview and "web:1" in preview and 'data-testid="rollback-diff"' in preview
    action = action_from(alice.post(f"/projects/{project}/deployments/web/rollback/", {"revision": "1"}))
    assert action.state == "succeeded", action.message
    deployment = apps.read_namespaced_deployment("web", project)
    assert deployment.spec.template.spec.containers[0].image == "web:1"
    wait_for(lambda: revision(admin_client, project, "web") == "3", message="revision 3")
    history = alice.get(f"/projects/{project}/deployments/web/").content.decode()
    assert 'data-revision="3"' in history and 'data-revision="2"' in history


def test_paused_rollback_and_missing_revision_are_refused(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    alice = signed_in(people["alice"])
    # Refused on the deployment's own page (in the project's layout), saying who refused and why.
    missing = alice.get(f"/projects/{project}/deployments/web/rollback/", {"revision": 7}, follow=True)
    page = missing.content.decode()
    assert missing.redirect_chain[-1][0] == f"/projects/{project}/deployments/web/"
    assert "Berth refused the rollback: Revision 7 of web no longer exists" in page
    action_from(alice.post(f"/projects/{project}/deployments/web/pause/"))
    assert client.AppsV1Api(admin_client).read_namespaced_deployment("web", project).spec.paused is True
    refused = alice.get(f"/projects/{project}/deployments/web/rollback/", {"revision": 1}, follow=True)
    assert (
        refused.status_code == 200 and "Berth refused the rollback: web is paused" in refused.content.decode()
    )
    # The page says it is paused, and offers to resume (not to pause again).
    assert (
        "Resume rollouts" in refused.content.decode()
        and 'data-testid="pause"' not in refused.content.decode()
    )
    action = action_from(alice.post(f"/projects/{project}/deployments/web/rollback/", {"revision": "1"}))
    assert action.state == "failed" and "paused" in action.message


def test_a_viewer_cannot_scale(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    bob = signed_in(people["bob"])
    page = bob.get(f"/projects/{project}/deployments/web/").content.decode()
    assert 'data-testid="deployment-controls"' not in page and 'data-testid="scale-up"' not in page
    assert bob.post(f"/projects/{project}/deployments/web/scale/", {"replicas": "3"}).status_code == 403
    assert not Action.objects.exists()
    # Queued by hand, the task itself is refused by the cluster's RBAC.
    viewer_project = project_selectors.project_get(user=people["bob"], name=project)
    viewer_project.my_role = "edit"  # pretend the view check was bypassed
    workload_services.deployment_scale(user=people["bob"], project=viewer_project, name="web", replicas=3)
    action = wait_for(
        lambda: Action.objects.filter(state__in=["succeeded", "failed"]).first(), message="the task"
    )
    assert action.state == "failed" and "forbidden" in action.message.lower()
    assert client.AppsV1Api(admin_client).read_namespaced_deployment("web", project).spec.replicas == 1


def test_a_vanished_deployment_fails_readably(people, project, celery_worker):
    target = project_selectors.project_get(user=people["alice"], name=project)
    workload_services.deployment_scale(user=people["alice"], project=target, name="gone", replicas=2)
    action = wait_for(
        lambda: Action.objects.filter(state__in=["succeeded", "failed"]).first(), message="the task"
    )
    assert action.state == "failed" and "no longer exists" in action.message


def test_deploy_an_image(people, project, admin_client, celery_worker):
    alice = signed_in(people["alice"])
    bad = alice.post(
        f"/projects/{project}/deployments/new/",
        {"name": "Web", "image": "not an image", "replicas": "1", "env": "novalue"},
    )
    errors = bad.context["form"].errors
    assert set(errors) == {"name", "image", "env"}
    action = action_from(
        alice.post(
            f"/projects/{project}/deployments/new/",
            {
                "name": "api",
                "image": "quay.io/team/api:1.0",
                "replicas": "2",
                "port": "8080",
                "env": "MODE=prod",
            },
        )
    )
    assert action.state == "succeeded", action.message
    deployment = client.AppsV1Api(admin_client).read_namespaced_deployment("api", project)
    container = deployment.spec.template.spec.containers[0]
    assert (container.image, container.ports[0].container_port, container.env[0].value) == (
        "quay.io/team/api:1.0",
        8080,
        "prod",
    )


async def test_twenty_viewers_share_one_watch(people, project, admin_client, redis_url):
    cookie = await sync_to_async(session_cookie)(people["alice"])
    viewers = [websocket(f"/ws/projects/{project}/pods/?v={i}", cookie) for i in range(20)]
    for viewer in viewers:
        connected, _ = await viewer.connect()
        assert connected
    first = await viewers[0].receive_from(timeout=10)
    assert 'id="pod-table"' in first
    mine = [inf for (ns, res), inf in informer_module.informers().items() if ns == project and res == "pods"]
    assert len(mine) == 1
    assert mine[0].listener_count == 20 and mine[0].lists == 1 and mine[0].watches == 1
    await sync_to_async(make_deployment)(admin_client, project, name="live")
    message = ""
    for _ in range(20):
        message = await viewers[5].receive_from(timeout=10)
        if 'data-pod="live-' in message:
            break
    assert 'data-pod="live-' in message
    for viewer in viewers:
        await viewer.disconnect()
    assert mine[0].listener_count == 0


async def test_a_stranger_cannot_watch(people, project, redis_url):
    cookie = await sync_to_async(session_cookie)(people["carol"])
    connected, code = await websocket(f"/ws/projects/{project}/pods/", cookie).connect()
    assert not connected and code == 4403


async def test_pod_log_follow_gets_lines_appended_later(people, project, admin_client, redis_url, tmp_path):
    await sync_to_async(make_deployment)(admin_client, project, name="logger")
    pod = await sync_to_async(wait_for)(
        lambda: next(iter(running_pods(admin_client, project, "logger")), None), 60, 0.2, "a running pod"
    )
    path = logs.write_lines(tmp_path / "app.log", ["\x1b[32mstarting\x1b[0m", "<b>ready</b>"])
    await sync_to_async(logs.attach_pod_log)(admin_client, project, pod, path)
    await sync_to_async(logs.wait_for_log)(admin_client, project, pod, contains="ready")
    cookie = await sync_to_async(session_cookie)(people["bob"])  # a viewer may read logs
    viewer = websocket(f"/ws/projects/{project}/pods/{pod}/log/", cookie)
    connected, _ = await viewer.connect()
    assert connected
    received = ""
    while "&lt;b&gt;ready&lt;/b&gt;" not in received:
        received += await viewer.receive_from(timeout=15)
    assert '<span class="ansi-fg-green">starting</span>' in received and "<b>" not in received
    await asyncio.sleep(0.5)
    logs.append_lines(path, ["appended after the follow began"])
    while "appended after the follow began" not in received:
        received += await viewer.receive_from(timeout=15)
    await viewer.disconnect()


def logging_pod(admin_client, project: str, tmp_path, lines: list[str]) -> str:
    """A running pod of a deployment "logger" whose log (kwok's) holds ``lines``."""
    make_deployment(admin_client, project, name="logger")
    pod = wait_for(
        lambda: next(iter(running_pods(admin_client, project, "logger")), None), 60, 0.2, "a running pod"
    )
    logs.attach_pod_log(admin_client, project, pod, logs.write_lines(tmp_path / "app.log", lines))
    return pod


async def _closed_with(socket, code: int, within: float) -> dict:
    """Read the socket until it closes; it must close with ``code`` within ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        message = await socket.receive_output(timeout=max(0.1, deadline - asyncio.get_running_loop().time()))
        if message["type"] == "websocket.close":
            assert message.get("code") == code, message
            return message


async def test_a_pod_log_is_followed_for_a_while_then_let_go(
    people, project, admin_client, redis_url, settings, tmp_path
):
    settings.BERTH_LOG_FOLLOW_SECONDS = 2
    pod = await sync_to_async(logging_pod)(admin_client, project, tmp_path, ["ready"])
    cookie = await sync_to_async(session_cookie)(people["bob"])
    log = websocket(f"/ws/projects/{project}/pods/{pod}/log/", cookie)
    assert (await log.connect())[0]
    closed = await _closed_with(log, 4408, within=15)
    assert closed["reason"] == "Stopped following after 2 seconds: reload to follow again."


async def test_a_viewer_whose_role_is_taken_away_is_disconnected(
    people, project, admin_client, redis_url, settings, tmp_path
):
    settings.BERTH_SOCKET_RECHECK_SECONDS = 0.5
    pod = await sync_to_async(logging_pod)(admin_client, project, tmp_path, ["ready"])
    cookie = await sync_to_async(session_cookie)(people["bob"])  # a viewer
    live = websocket(f"/ws/projects/{project}/pods/", cookie)
    log = websocket(f"/ws/projects/{project}/pods/{pod}/log/", cookie)
    for socket in (live, log):
        connected, _ = await socket.connect()
        assert connected
    assert 'id="pod-table"' in await live.receive_from(timeout=10)
    await asyncio.sleep(1.5)  # several checks pass while bob is a viewer
    await sync_to_async(client.RbacAuthorizationV1Api(admin_client).delete_namespaced_role_binding)(
        "outside-view-bob", project
    )
    cluster_workloads._access_cache.clear()  # the cluster's "may list" answer, kept 30 s otherwise
    for socket in (live, log):
        closed = await _closed_with(socket, 4403, within=15)
        assert closed["reason"] == "You no longer have access to this: reload."


WORKLOAD_PAGES = ["pods/", "deployments/", "deployments/web/", "deployments/web/rollback/?revision=1"]
WORKLOAD_MUTATIONS = [
    ("deployments/web/scale/", {"replicas": "2"}),
    ("deployments/web/pause/", {}),
    ("deployments/web/resume/", {}),
    ("deployments/web/restart/", {}),
    ("deployments/web/rollback/", {"revision": "1"}),
    ("deployments/new/", {"name": "x", "image": "nginx:1", "replicas": "1"}),
]


def test_permission_matrix(people, project, admin_client):
    from django.contrib.auth import get_user_model

    make_deployment(admin_client, project)
    base = f"/projects/{project}/"
    anonymous = Client()
    for url in WORKLOAD_PAGES:
        response = anonymous.get(base + url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    stranger = signed_in(get_user_model().objects.create_user("dave", password="x"))
    for url in WORKLOAD_PAGES:
        assert stranger.get(base + url).status_code == 404, url
    for url, data in WORKLOAD_MUTATIONS:
        assert stranger.post(base + url, data).status_code == 404, url
    viewer = signed_in(people["bob"])
    for url in WORKLOAD_PAGES[:3]:
        assert viewer.get(base + url).status_code == 200, url
    assert viewer.get(base + WORKLOAD_PAGES[3]).status_code == 403
    for url, data in WORKLOAD_MUTATIONS:
        assert viewer.post(base + url, data).status_code == 403, url
    assert not Action.objects.exists()


def test_restart_sets_the_restarted_at_annotation(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    action = action_from(signed_in(people["alice"]).post(f"/projects/{project}/deployments/web/restart/"))
    assert action.state == "succeeded", action.message
    template = client.AppsV1Api(admin_client).read_namespaced_deployment("web", project).spec.template
    assert "kubectl.kubernetes.io/restartedAt" in (template.metadata.annotations or {})


async def test_the_page_says_when_the_cluster_connection_is_lost(people, project, redis_url):
    cookie = await sync_to_async(session_cookie)(people["alice"])
    viewer = websocket(f"/ws/projects/{project}/pods/", cookie)
    connected, _ = await viewer.connect()
    assert connected
    first = await viewer.receive_from(timeout=10)
    assert "Lost the connection" not in first
    informer = informer_module.informers()[(project, "pods")]
    # What the watch thread reports when the API server goes away, and when it is back.
    informer._notify("DISCONNECTED", "connection refused")
    lost = await viewer.receive_from(timeout=10)
    assert "Lost the connection to the cluster" in lost
    informer._notify("CONNECTED", None)
    back = await viewer.receive_from(timeout=10)
    assert "Lost the connection" not in back and 'id="pod-table"' in back
    await viewer.disconnect()


def test_pod_detail_events_and_log_download(people, project, admin_client, tmp_path):
    make_deployment(admin_client, project, name="detail", image="detail:7")
    pod = wait_for(lambda: next(iter(running_pods(admin_client, project, "detail")), None), message="a pod")
    path = logs.write_lines(tmp_path / "detail.log", ["line one", "line <two>"])
    logs.attach_pod_log(admin_client, project, pod, path)
    logs.wait_for_log(admin_client, project, pod, contains="line one")
    bob = signed_in(people["bob"])
    page = bob.get(f"/projects/{project}/pods/{pod}/").content.decode()
    assert "detail:7" in page and 'data-testid="pod-status">Running<' in page and "app=detail" in page
    assert f"/ws/projects/{project}/pods/{pod}/log/?container=detail" in page
    events = bob.get(f"/projects/{project}/pods/{pod}/events/")
    assert events.status_code == 200 and b"Scheduled" in events.content
    download = bob.get(f"/projects/{project}/pods/{pod}/logs/download/", {"container": "detail"})
    assert download["Content-Disposition"] == f'attachment; filename="{pod}.log"'
    assert download.content.decode().splitlines() == ["line one", "line <two>"]
    assert bob.get(f"/projects/{project}/pods/no-such-pod/").status_code == 404


def test_a_log_download_stops_at_the_limit_and_says_so(people, project, admin_client, tmp_path, settings):
    make_deployment(admin_client, project, name="chatty")
    pod = wait_for(lambda: next(iter(running_pods(admin_client, project, "chatty")), None), message="a pod")
    path = logs.write_lines(tmp_path / "chatty.log", [f"line {i:04d}" for i in range(1000)])
    logs.attach_pod_log(admin_client, project, pod, path)
    logs.wait_for_log(admin_client, project, pod, contains="line 0999")
    settings.BERTH_LOG_DOWNLOAD_BYTES = 100
    text = signed_in(people["bob"]).get(f"/projects/{project}/pods/{pod}/logs/download/").content.decode()
    lines = text.splitlines()
    assert lines[:10] == [f"line {i:04d}" for i in range(10)]  # whole lines only: 10 x 10 bytes
    assert lines[10:] == [
        "[Berth: the download stops here, at the 100-byte limit (BERTH_LOG_DOWNLOAD_BYTES).]"
    ]


def test_idle_informers_are_stopped(people, project, berth_cluster, make_project, monkeypatch):
    from workloads import cluster as cluster_workloads

    idle = cluster_workloads.pods_informer(project)
    assert idle.wait_synced(15)
    monkeypatch.setattr(informer_module, "IDLE_SECONDS", 0.0)
    other = make_project(people["alice"])
    fresh = cluster_workloads.pods_informer(other)
    assert (project, "pods") not in informer_module.informers()
    assert wait_for(lambda: not idle._thread.is_alive(), timeout=30, message="the idle watch to end") is True
    assert fresh.wait_synced(15) and (other, "pods") in informer_module.informers()


def _previewed(html: str) -> str:
    import re

    return re.search(r'name="previewed" value="([0-9a-f]+)"', html).group(1)


def test_edit_shows_the_changes_then_applies_them_and_refuses_a_stale_form(
    people, project, admin_client, celery_worker
):
    make_deployment(admin_client, project, image="web:1")
    apps = client.AppsV1Api(admin_client)
    alice = signed_in(people["alice"])
    url = f"/projects/{project}/deployments/web/edit/"
    form = alice.get(url).content.decode()
    assert 'value="web:1"' in form
    generation = apps.read_namespaced_deployment("web", project).metadata.generation
    values = {
        "container": "web",
        "image": "web:2",
        "command": "",
        "env": "GREETING=hello there",
        "cpu_request": "100m",
        "cpu_limit": "300m",
        "memory_request": "",
        "memory_limit": "",
        "replicas": "2",
        "strategy": "RollingUpdate",
        "probe_port": "8080",
        "generation": str(generation),
    }
    # First the changes, as a rollback's preview shows them; nothing is applied yet.
    preview = alice.post(url, {**values, "preview": ""}).content.decode()
    assert 'data-testid="edit-diff"' in preview and not Action.objects.exists()
    for shown in ("web:1", "web:2", "env GREETING", "hello there", "replicas", "300m"):
        assert shown in preview, shown
    # A bad value is refused at its field, with what was typed kept.
    bad = alice.post(url, {**values, "cpu_request": "2", "preview": ""}).content.decode()
    assert "The request can&#x27;t be above the limit (300m)." in bad and 'value="web:2"' in bad
    # "Apply" with a form changed since the preview shows the new preview instead.
    changed = alice.post(url, {**values, "image": "web:9", "apply": "", "previewed": _previewed(preview)})
    assert changed.status_code == 200 and "web:9" in changed.content.decode() and not Action.objects.exists()

    action = action_from(alice.post(url, {**values, "apply": "", "previewed": _previewed(preview)}))
    assert (action.state, action.message) == ("succeeded", "Updated web: 2 of 2 pods ready."), action.message
    container = apps.read_namespaced_deployment("web", project).spec.template.spec.containers[0]
    assert container.image == "web:2" and container.resources.limits["cpu"] == "300m"
    assert [(e.name, e.value) for e in container.env] == [("GREETING", "hello there")]

    # Someone changes it while alice's form is open: her preview says so and shows theirs.
    stale = alice.get(url).content.decode()
    assert 'value="web:2"' in stale
    apps.patch_namespaced_deployment(
        "web", project, {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:3"}]}}}}
    )
    again = alice.post(url, {**values, "image": "web:4", "generation": str(generation + 1), "preview": ""})
    text = again.content.decode()
    assert "Someone else changed web since you opened this form" in text and 'value="web:3"' in text


def test_edit_sources_probes_and_strategy(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project, image="web:1")
    core, apps = client.CoreV1Api(admin_client), client.AppsV1Api(admin_client)
    core.create_namespaced_config_map(project, {"metadata": {"name": "settings"}, "data": {"MODE": "prod"}})
    core.create_namespaced_secret(project, {"metadata": {"name": "api-keys"}, "stringData": {"KEY": "v"}})
    alice = signed_in(people["alice"])
    url = f"/projects/{project}/deployments/web/edit/"
    opened = alice.get(url)
    choices = dict(opened.context["form"].fields["env_from"].choices)
    assert choices == {"configmap:settings": "ConfigMap settings", "secret:api-keys": "Secret api-keys"}
    values = {
        **opened.context["form"].initial,
        "command": "",
        "env": "",
        "env_from": ["configmap:settings", "secret:api-keys"],
        "readiness_path": "/healthz",
        "probe_port": "8080",
        "strategy": "Recreate",
    }
    values = {k: v for k, v in values.items() if v is not None}
    preview = alice.post(url, {**values, "preview": ""})
    rows = {(c.where, c.what) for c in preview.context["changes"]}
    assert rows == {
        ("container web", "env from"),
        ("container web", "readiness probe"),
        ("deployment", "strategy"),
    }
    action = action_from(
        alice.post(url, {**values, "apply": "", "previewed": _previewed(preview.content.decode())})
    )
    assert action.state == "succeeded", action.message
    deployment = apps.read_namespaced_deployment("web", project)
    container = deployment.spec.template.spec.containers[0]
    assert [
        (e.config_map_ref and e.config_map_ref.name, e.secret_ref and e.secret_ref.name)
        for e in container.env_from
    ] == [
        ("settings", None),
        (None, "api-keys"),
    ]
    assert (container.readiness_probe.http_get.path, container.readiness_probe.http_get.port) == (
        "/healthz",
        8080,
    )
    assert deployment.spec.strategy.type == "Recreate" and deployment.spec.strategy.rolling_update is None
    # A viewer may not open the form.
    assert signed_in(people["bob"]).get(url).status_code == 403


def test_delete_says_what_goes_with_it_then_lands_on_the_list(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    client.CoreV1Api(admin_client).create_namespaced_service(
        project, {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    )
    wait_for(lambda: len(running_pods(admin_client, project, "web")) == 1, message="1 running pod")
    alice = signed_in(people["alice"])
    url = f"/projects/{project}/deployments/web/delete/"
    confirm = alice.get(url).content.decode()
    assert "its 1 pod (they stop at once)" in confirm and "its 1 revision" in confirm
    assert 'data-testid="delete-services"' in confirm and ": web." in confirm
    bob = signed_in(people["bob"])  # a viewer
    assert bob.post(url).status_code == 403
    action = action_from(alice.post(url))
    assert (action.state, action.message) == ("succeeded", "Deleted web and its pods."), action.message
    assert action.next_url == f"/projects/{project}/deployments/"
    assert not client.AppsV1Api(admin_client).list_namespaced_deployment(project).items
    assert not running_pods(admin_client, project, "web")


def test_the_deployment_page_says_why_its_pods_are_pending(people, project, admin_client):
    client.AppsV1Api(admin_client).create_namespaced_deployment(
        project,
        {
            "metadata": {"name": "stuck"},
            "spec": {
                "selector": {"matchLabels": {"app": "stuck"}},
                "template": {
                    "metadata": {"labels": {"app": "stuck"}},
                    "spec": {
                        "nodeSelector": {"berth.test/none": "x"},
                        "containers": [{"name": "c", "image": "c:1"}],
                    },
                },
            },
        },
    )
    alice = signed_in(people["alice"])

    def why() -> str:
        page = alice.get(f"/projects/{project}/deployments/stuck/").content.decode()
        return page if 'data-testid="pod-why"' in page else ""

    page = wait_for(why, message="the scheduler's reason on the page")
    assert "can&#x27;t be scheduled: 0/" in page and "node affinity/selector" in page

    # The project's events: the scheduler's warning first; filters by type and by words.
    def warning_first() -> str:
        events = alice.get(f"/projects/{project}/events/").content.decode()
        rows = events.split('data-testid="event-row"')[1:]
        return events if rows and rows[0].lstrip().startswith('data-type="Warning"') else ""

    events = wait_for(warning_first, message="a warning at the top of the project's events")
    assert "FailedScheduling" in events and "Pod/stuck-" in events
    normal = alice.get(f"/projects/{project}/events/", {"type": "Normal"}).content.decode()
    assert "FailedScheduling" not in normal
    assert (
        "FailedScheduling"
        not in alice.get(f"/projects/{project}/events/", {"q": "nothing-like-it"}).content.decode()
    )
    assert "FailedScheduling" in alice.get(f"/projects/{project}/events/", {"q": "stuck"}).content.decode()


def _cronjob(admin_client, namespace: str, name: str, image: str, command: list[str]) -> None:
    container = {"name": "main", "image": image, "command": command}
    client.BatchV1Api(admin_client).create_namespaced_cron_job(
        namespace,
        {
            "metadata": {"name": name},
            "spec": {
                "schedule": "0 3 * * *",
                "jobTemplate": {
                    "spec": {
                        "backoffLimit": 0,
                        "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
                    }
                },
            },
        },
    )


def test_run_a_cronjob_now_on_the_real_node_and_read_its_jobs_log(
    people, make_project, admin_client, celery_worker, real_node
):
    project = make_project(people["alice"], real=True)
    bind(admin_client, project, "view", user="bob")
    _cronjob(
        admin_client, project, "report", real_node.python_image, ["python3", "-c", "print('report done')"]
    )
    alice, bob = signed_in(people["alice"]), signed_in(people["bob"])
    listed = alice.get(f"/projects/{project}/cronjobs/").content.decode()
    assert 'data-name="report" data-status="Scheduled"' in listed and "0 3 * * *" in listed
    assert 'data-testid="run-now"' not in bob.get(f"/projects/{project}/cronjobs/report/").content.decode()
    assert bob.post(f"/projects/{project}/cronjobs/report/run/").status_code == 403

    action = action_from(alice.post(f"/projects/{project}/cronjobs/report/run/"))
    job = action.parameters["job"]
    assert action.state == "succeeded", action.message
    assert action.message.startswith(f"Job {job} from CronJob report "), action.message
    assert action.next_url == f"/projects/{project}/jobs/{job}/"
    wait_for(
        lambda: client.BatchV1Api(admin_client).read_namespaced_job(job, project).status.succeeded == 1,
        timeout=90,
        message="the job to complete",
    )
    page = alice.get(f"/projects/{project}/jobs/{job}/").content.decode()
    assert 'data-testid="controller-status" data-status="Complete"' in page and "1/1 succeeded" in page
    assert "CronJob report (run by hand)" in page
    [pod] = (
        client.CoreV1Api(admin_client).list_namespaced_pod(project, label_selector=f"job-name={job}").items
    )
    assert pod.spec.node_name == real_node.name and f'data-pod="{pod.metadata.name}"' in page
    log = alice.get(f"/projects/{project}/pods/{pod.metadata.name}/logs/download/").content.decode()
    assert log.strip() == "report done"
    history = alice.get(f"/projects/{project}/cronjobs/report/").content.decode()
    assert f'data-name="{job}" data-status="Complete"' in history
    assert (
        f'data-name="{job}" data-status="Complete"'
        in alice.get(f"/projects/{project}/jobs/").content.decode()
    )


def test_a_cronjob_whose_image_cant_be_pulled_fails_with_the_kubelets_reason(
    people, make_project, admin_client, celery_worker, real_node
):
    project = make_project(people["alice"], real=True)
    missing = real_node.python_image.rsplit("/berth/", 1)[0] + "/berth/never-built:1"
    _cronjob(admin_client, project, "report", missing, ["true"])
    action = action_from(signed_in(people["alice"]).post(f"/projects/{project}/cronjobs/report/run/"))
    assert action.state == "failed", action.message
    assert action.message.startswith(
        f"Job {action.parameters['job']} was made from CronJob report, but its pod"
    )
    assert (
        "ErrImagePull" in action.message or "ImagePullBackOff" in action.message
    ) and missing in action.message


def test_statefulsets_and_jobs_list_with_their_pods(people, project, admin_client):
    """On kwok's nodes: what the pages show of the cluster's objects (nothing here ran)."""
    template = {
        "metadata": {"labels": {"app": "db"}},
        "spec": {"containers": [{"name": "db", "image": "db:1"}]},
    }
    client.AppsV1Api(admin_client).create_namespaced_stateful_set(
        project,
        {
            "metadata": {"name": "db"},
            "spec": {
                "serviceName": "db",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "db"}},
                "template": template,
            },
        },
    )
    bob = signed_in(people["bob"])
    wait_for(
        lambda: 'data-status="Ready"' in bob.get(f"/projects/{project}/statefulsets/").content.decode(),
        message="the statefulset ready",
    )
    page = bob.get(f"/projects/{project}/statefulsets/db/").content.decode()
    assert "2/2 ready" in page and 'data-pod="db-0"' in page and 'data-pod="db-1"' in page
    assert f'href="/projects/{project}/yaml/statefulset/db/"' in page
    yaml_page = bob.get(f"/projects/{project}/yaml/statefulset/db/").content.decode()
    assert "serviceName: db" in yaml_page and 'data-testid="yaml-read-only"' in yaml_page
    assert (
        'data-testid="no-controllers">No Jobs in this project.'
        in bob.get(f"/projects/{project}/jobs/").content.decode()
    )
    assert bob.get(f"/projects/{project}/jobs/nothing/").status_code == 404


def test_an_action_on_an_object_the_project_does_not_have_is_a_404_and_queues_nothing(people, project):
    alice = signed_in(people["alice"])
    base = f"/projects/{project}"
    for url in (
        f"{base}/deployments/ghost/scale/",
        f"{base}/deployments/ghost/rollback/",
        f"{base}/deployments/ghost/pause/",
        f"{base}/deployments/ghost/resume/",
        f"{base}/deployments/ghost/restart/",
        f"{base}/config/configmap/ghost/delete/",
        f"{base}/config/configmap/ghost/remove/",
        f"{base}/config/secret/ghost/reveal/",
        f"{base}/yaml/configmap/ghost/check/",
    ):
        assert alice.post(url, {"replicas": "2", "revision": "1", "key": "K"}).status_code == 404, url
    assert alice.get(f"{base}/pods/ghost/events/").status_code == 404
    assert not Action.objects.exists()


def test_a_rollback_taken_over_after_its_patch_sees_it_done(people, project, admin_client):
    """The worker died after the patch: revision 1 became the newest one and its number is
    gone, so the next attempt knows it by the digest remembered before the patch."""
    make_deployment(admin_client, project, name="web", image="web:1")
    # Patched before the controller saw revision 1, the Deployment would only ever have one.
    wait_for(lambda: revision(admin_client, project, "web") == "1", message="revision 1")
    apps = client.AppsV1Api(admin_client)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}
    apps.patch_namespaced_deployment("web", project, patch)
    alice = identity_for_user(people["alice"])
    wait_for(
        lambda: len(cluster_workloads.deployment_history(alice, namespace=project, name="web")) == 2,
        message="two revisions",
    )
    remembered = []
    first = cluster_workloads.deployment_rollback(
        alice, namespace=project, name="web", revision=1, remember=remembered.append
    )
    assert first == "Rolled web back to revision 1." and len(remembered) == 1

    def numbers() -> list[int]:
        return [r.number for r in cluster_workloads.deployment_history(alice, namespace=project, name="web")]

    wait_for(lambda: 1 not in numbers(), message="revision 1 to become the newest")
    again = cluster_workloads.deployment_rollback(
        alice, namespace=project, name="web", revision=1, target_digest=remembered[0]
    )
    assert again.startswith("Skipped: web already runs revision 1's template")
    with pytest.raises(NotFound, match="no longer exists"):
        cluster_workloads.deployment_rollback(alice, namespace=project, name="web", revision=1)
