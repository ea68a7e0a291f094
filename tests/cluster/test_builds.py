"""Builds against the real control plane, a real worker and the ASGI stack.

The devcluster's pods run no containers: the build pod gets a simulated log
(kwok's Logs object) and kwok completes its Job. The source is a real Git
repository on disk (file://: the sandbox has no network), cloned by the worker.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from kubernetes import client

from actions.models import Action
from actions.refusal import Refused
from builds import services
from builds.models import CONFIG_FIELDS, Build, BuildConfig, BuildLogLine
from builds.webhooks import github_signature
from console.ansi import ansi_to_html
from console.asgi import application
from projects import selectors as project_selectors
from tests.helpers import action_from, bind, session_cookie, signed_in, wait_for, websocket

pytestmark = pytest.mark.django_db(transaction=True)

FLASK_APP = {
    "requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\n",
    "wsgi.py": "from shop import app as application\n",
    "shop.py": "from flask import Flask\n\napp = Flask(__name__)\n",
}


def git_repo(root: Path, files: dict[str, str]) -> str:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=Test", "-c", "user.email=t@example.org", *args],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "First version")
    return f"file://{root}"


def head(url: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=url.removeprefix("file://"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def project(people, make_project, admin_client):
    """alice admin, bob viewer."""
    name = make_project(people["alice"])
    bind(admin_client, name, "view", user="bob")
    return name


def make_config(user, project: str, url: str, name: str = "web", **data) -> BuildConfig:
    project_obj = project_selectors.project_get(user=user, name=project)
    return services.build_config_create(
        user=user,
        project=project_obj,
        name=name,
        data={
            "git_uri": url,
            "git_ref": data.pop("git_ref", "main"),
            "strategy": "source",
            "env": {},
            **data,
        },
    )


def finished(build: Build, timeout: float = 90) -> Build:
    return wait_for(
        lambda: build if (build.refresh_from_db() or build.is_finished) else None,
        timeout=timeout,
        message=f"build {build.pk} to finish",
    )


def start(user, config: BuildConfig) -> Build:
    project_obj = project_selectors.project_get(user=user, name=config.project)
    return services.build_start(user=user, config=config, project=project_obj)


def stored(build: Build) -> list[tuple[int, str]]:
    return list(BuildLogLine.objects.filter(build=build).order_by("seq").values_list("seq", "text"))


def test_a_build_runs_as_a_job_and_completes_with_its_log_stored(
    people, project, admin_client, celery_worker, tmp_path
):
    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = make_config(people["alice"], project, url)
    build = finished(start(people["alice"], config))
    assert build.status == "Complete", build.message
    assert build.name == "web-1" and build.commit == head(url)
    assert build.started_at and build.finished_at and build.finished_at >= build.started_at
    assert build.simulated and build.image_digest.startswith("sha256:")
    lines = stored(build)
    assert [seq for seq, _ in lines] == list(range(1, len(lines) + 1)) == list(range(1, build.last_seq + 1))
    text = "\n".join(t for _, t in lines)
    assert f"Reading {url} at main" in text and "Berth's worker read the source" in text
    assert "Plan: will run: gunicorn wsgi" in text
    assert "This cluster runs no containers" in text and "(simulated) STEP 1/" in text
    jobs = client.BatchV1Api(admin_client).list_namespaced_job(
        project, label_selector=f"berth.io/build={build.pk}"
    )
    [job] = jobs.items
    pod_spec = job.spec.template.spec
    assert "git clone --no-checkout" in pod_spec.init_containers[0].command[-1]
    assert f"docker://{config.output_image}" in pod_spec.containers[0].command[-1]
    assert config.image_tags.get().image == f"{config.output_repository}@{build.image_digest}"
    # The second build of the config is web-2.
    assert start(people["alice"], config).name == "web-2"


def test_cancel_deletes_the_pod_and_marks_the_build_cancelled(
    people, project, admin_client, celery_worker, tmp_path, settings
):
    settings.BERTH_BUILD_SIMULATION_RATE = 100
    settings.BERTH_BUILD_SIMULATION_EXTRA_LINES = 3000  # 30 s: far longer than the test
    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = make_config(people["alice"], project, url)
    build = start(people["alice"], config)
    wait_for(lambda: Build.objects.get(pk=build.pk).last_seq > 40, timeout=60, message="some lines")
    core = client.CoreV1Api(admin_client)
    assert core.list_namespaced_pod(project, label_selector=f"berth.io/build={build.pk}").items
    alice = signed_in(people["alice"])
    response = alice.post(f"/projects/{project}/builds/web/{build.number}/cancel/")
    assert response.status_code == 302
    build = finished(build, timeout=30)
    assert build.status == "Cancelled"
    wait_for(
        lambda: not core.list_namespaced_pod(project, label_selector=f"berth.io/build={build.pk}").items,
        timeout=30,
        message="the build pod to be deleted",
    )
    assert (
        not client.BatchV1Api(admin_client)
        .list_namespaced_job(project, label_selector=f"berth.io/build={build.pk}")
        .items
    )
    cancel = wait_for(
        lambda: Action.objects.filter(kind="build.cancel", state="succeeded").first(), 30, message="cancel"
    )
    assert cancel.requested_by_name == "alice"
    assert alice.post(f"/projects/{project}/builds/web/{build.number}/cancel/").status_code == 302
    assert Action.objects.filter(kind="build.cancel").count() == 1  # a finished build is not cancelled twice


async def _read(viewer, received: list, *, until_seq: int | None = None, timeout: float = 30) -> dict | None:
    """Collect lines until ``until_seq`` is reached, or until the final status."""
    while True:
        message = json.loads(await viewer.receive_from(timeout=timeout))
        received.extend(message.get("lines", []))
        if until_seq is not None and received and received[-1][0] >= until_seq:
            return None
        status = message.get("status")
        if status and status["finished"]:
            return status


async def test_a_thousand_lines_a_second_survive_a_reconnect_exactly(
    people, project, celery_worker, tmp_path, settings
):
    settings.BERTH_BUILD_SIMULATION_RATE = 1000
    settings.BERTH_BUILD_SIMULATION_EXTRA_LINES = 5000
    url = await sync_to_async(git_repo)(tmp_path / "repo", FLASK_APP)
    config = await sync_to_async(make_config)(people["alice"], project, url)
    build = await sync_to_async(start)(people["alice"], config)
    cookie = await sync_to_async(session_cookie)(people["bob"])  # a viewer may watch
    received: list = []
    viewer = websocket(f"/ws/builds/{build.pk}/?after=0", cookie)
    connected, _ = await viewer.connect()
    assert connected
    await _read(viewer, received, until_seq=1500, timeout=60)
    await viewer.disconnect()
    await asyncio.sleep(1.0)  # about a thousand lines go by while nobody watches
    viewer = websocket(f"/ws/builds/{build.pk}/?after={received[-1][0]}", cookie)
    connected, _ = await viewer.connect()
    assert connected
    status = await _read(viewer, received, timeout=60)
    await viewer.disconnect()
    assert status["status"] == "Complete"
    rows = await sync_to_async(stored)(await sync_to_async(Build.objects.get)(pk=build.pk))
    assert len(rows) > 5000
    assert received == [[seq, ansi_to_html(text)] for seq, text in rows]


@pytest.mark.parametrize("recent_lines", [2000, 0], ids=["from-the-recent-lines", "from-the-database"])
async def test_a_viewer_whose_lines_were_dropped_reads_them_again_exactly(
    people, project, celery_worker, tmp_path, settings, monkeypatch, recent_lines
):
    from console import fanout

    monkeypatch.setattr(fanout, "INBOX_LIMIT", 0)  # every live batch is dropped: only catch-ups remain
    monkeypatch.setattr(fanout, "RECENT_LINES", recent_lines)  # 0: every catch-up reads the database
    reads_before = get_channel_layer("fanout").local_stats()["recent_reads"]
    settings.BERTH_BUILD_SIMULATION_RATE = 1000
    settings.BERTH_BUILD_SIMULATION_EXTRA_LINES = 2000
    url = await sync_to_async(git_repo)(tmp_path / "repo", FLASK_APP)
    config = await sync_to_async(make_config)(people["alice"], project, url)
    build = await sync_to_async(start)(people["alice"], config)
    viewer = websocket(f"/ws/builds/{build.pk}/?after=0", await sync_to_async(session_cookie)(people["bob"]))
    assert (await viewer.connect())[0]
    received: list = []
    status = await _read(viewer, received, timeout=60)
    await viewer.disconnect()
    assert status["status"] == "Complete"
    rows = await sync_to_async(stored)(await sync_to_async(Build.objects.get)(pk=build.pk))
    assert len(rows) > 2000
    assert received == [[seq, ansi_to_html(text)] for seq, text in rows]
    stats = get_channel_layer("fanout").local_stats()
    assert stats["dropped"] > 0
    assert (stats["recent_reads"] > reads_before) == bool(recent_lines)


async def test_websocket_access(people, project, tmp_path):
    from django.contrib.auth import get_user_model

    url = await sync_to_async(git_repo)(tmp_path / "repo", FLASK_APP)
    config = await sync_to_async(BuildConfig.objects.create)(
        project=project,
        name="web",
        git_uri=url,
        output_image="r/x/web:latest",
        github_secret="a",
        generic_secret="b",
    )
    build = await sync_to_async(Build.objects.create)(config=config, number=1, requested_by_name="alice")
    await sync_to_async(BuildLogLine.objects.bulk_create)(
        [BuildLogLine(build=build, seq=i, text=f"<b>line {i}</b>") for i in range(1, 2501)]
    )
    await sync_to_async(Build.objects.filter(pk=build.pk).update)(last_seq=2500)
    anonymous = WebsocketCommunicator(
        application, f"/ws/builds/{build.pk}/", headers=[(b"origin", b"http://127.0.0.1")]
    )
    connected, code = await anonymous.connect()
    assert not connected and code == 4401
    dave = await sync_to_async(get_user_model().objects.create_user)("dave")
    connected, code = await websocket(
        f"/ws/builds/{build.pk}/", await sync_to_async(session_cookie)(dave)
    ).connect()
    assert not connected and code == 4404
    # A first visit gets the tail only, and says where it starts.
    viewer = websocket(f"/ws/builds/{build.pk}/", await sync_to_async(session_cookie)(people["bob"]))
    connected, _ = await viewer.connect()
    assert connected
    assert json.loads(await viewer.receive_from())["start"] == 1501
    first = json.loads(await viewer.receive_from())["lines"]
    assert first[0] == [1501, "&lt;b&gt;line 1501&lt;/b&gt;"] and len(first) == 1000
    await viewer.disconnect()
    # Earlier parts on demand, over HTTP.
    bob = await sync_to_async(signed_in)(people["bob"])
    earlier = await sync_to_async(bob.get)(f"/projects/{project}/builds/web/1/log/?before=1501")
    lines = earlier.json()["lines"]
    assert lines[0][0] == 501 and lines[-1][0] == 1500

    def raw_log() -> str:
        return b"".join(bob.get(f"/projects/{project}/builds/web/1/log.txt").streaming_content).decode()

    body = await sync_to_async(raw_log)()
    assert body.splitlines()[0] == "<b>line 1</b>" and len(body.splitlines()) == 2500


async def test_a_build_log_socket_closes_when_its_reader_loses_the_project(
    people, project, admin_client, settings, tmp_path
):
    settings.BERTH_SOCKET_RECHECK_SECONDS = 0.5
    config = await sync_to_async(BuildConfig.objects.create)(
        project=project, name="web", git_uri="https://example.com/r.git", output_image="r/x/web:latest"
    )
    build = await sync_to_async(Build.objects.create)(config=config, number=1, requested_by_name="alice")
    viewer = websocket(f"/ws/builds/{build.pk}/", await sync_to_async(session_cookie)(people["bob"]))
    connected, _ = await viewer.connect()
    assert connected
    await asyncio.sleep(1.5)  # checks pass while bob is a viewer
    await sync_to_async(client.RbacAuthorizationV1Api(admin_client).delete_namespaced_role_binding)(
        "outside-view-bob", project
    )
    while (message := await viewer.receive_output(timeout=15))["type"] != "websocket.close":
        pass
    assert message["code"] == 4403


def test_permission_matrix(people, project, admin_client, celery_worker, tmp_path, settings):
    settings.BERTH_PROJECT_BUILDS_AT_ONCE = 5
    from django.contrib.auth import get_user_model

    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = BuildConfig.objects.create(
        project=project,
        name="web",
        git_uri=url,
        output_image="r/x/web:latest",
        github_secret="gh",
        generic_secret="gen",
        updated_by=people["alice"],
        next_number=2,
    )
    build = Build.objects.create(config=config, number=1, requested_by_name="alice", status="Running")
    base = f"/projects/{project}/builds/"
    pages = [
        "",
        "web/",
        "web/export/",
        "web/1/",
        "web/1/log.txt",
        "web/1/log/?before=2",
        "new/",
        "web/edit/",
        "web/delete/",
    ]
    mutations = [
        ("web/start/", {}),
        ("web/1/cancel/", {}),
        ("new/", {"name": "api", "git_uri": url, "strategy": "source", "builder_image": "py:3"}),
        ("web/edit/", {"git_uri": url, "strategy": "source", "builder_image": "py:3"}),
        ("web/rotate-secrets/", {}),
        ("web/detect/", {}),
        ("web/delete/", {}),
    ]
    anonymous = Client()
    for page in pages:
        response = anonymous.get(base + page)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), page
    stranger = signed_in(get_user_model().objects.create_user("dave"))
    for page in pages:
        assert stranger.get(base + page).status_code == 404, page
    for page, data in mutations:
        assert stranger.post(base + page, data).status_code == 404, page
    bob = signed_in(people["bob"])  # viewer
    for page in pages[:6]:
        assert bob.get(base + page).status_code == 200, page
    detail = bob.get(base + "web/").content.decode()
    assert 'data-testid="start-build"' not in detail and 'data-testid="generic-url"' not in detail
    assert "github-secret" not in detail
    assert "<hidden: project admins only>" in bob.get(base + "web/export/").content.decode().replace(
        "&lt;", "<"
    )
    for page, data in mutations:
        assert bob.post(base + page, data).status_code == 403, page
    assert Build.objects.count() == 1 and not Action.objects.exists()
    build.refresh_from_db()
    assert build.status == "Running" and not build.cancel_requested
    alice = signed_in(people["alice"])
    page = alice.get(base + "web/").content.decode()
    assert (
        'data-testid="start-build"' in page
        and "/generic/gen/" in page
        and 'data-testid="github-secret"' in page
    )
    # Webhooks need no login, only the secret.
    body = json.dumps({"ref": "refs/heads/main", "repository": {"default_branch": "main"}}).encode()
    signature = github_signature("gh", body)
    headers = {"HTTP_X_GITHUB_EVENT": "push", "HTTP_X_GITHUB_DELIVERY": "x1"}
    hook = f"/webhooks/{project}/web/github/"
    assert anonymous.post(hook, body, "application/json", **headers).status_code == 403
    assert (
        anonymous.post(
            hook, body, "application/json", HTTP_X_HUB_SIGNATURE_256=signature, **headers
        ).status_code
        == 202
    )
    assert anonymous.post(f"/webhooks/{project}/web/generic/wrong/").status_code == 403
    assert anonymous.post(f"/webhooks/{project}/web/generic/gen/").status_code == 202
    hooked = Build.objects.filter(config=config, trigger__in=["github", "generic"])
    assert hooked.count() == 2
    # Run as the config's last editor, credited to the webhook.
    assert {b.requested_by.username for b in hooked} == {"alice"}
    assert {b.requested_by_name for b in hooked} == {
        "GitHub webhook, as alice (who last saved the config)",
        "Generic webhook, as alice (who last saved the config)",
    }
    for build in hooked:
        assert finished(build).status == "Complete", build.message


def small(name: str, image: str) -> dict:
    # The project's quota must leave room for the build pod.
    limits = {"cpu": "50m", "memory": "64Mi"}
    return {"name": name, "image": image, "resources": {"requests": limits, "limits": limits}}


def test_a_complete_build_rolls_out_to_deployments_that_follow_its_image(
    people, project, admin_client, celery_worker, tmp_path
):
    apps = client.AppsV1Api(admin_client)
    triggers = [
        {
            "from": {"kind": "ImageStreamTag", "name": "web:latest"},
            "fieldPath": 'spec.template.spec.containers[?(@.name=="web")].image',
        }
    ]
    for name, notes in (("web", {"image.openshift.io/triggers": json.dumps(triggers)}), ("other", {})):
        apps.create_namespaced_deployment(
            project,
            {
                "metadata": {"name": name, "annotations": notes},
                "spec": {
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {
                            "containers": [
                                small("sidecar", "side:1"),
                                small("web", "old:1"),
                            ]
                        },
                    },
                },
            },
        )
    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = make_config(people["alice"], project, url)
    build = finished(start(people["alice"], config))
    assert build.status == "Complete", build.message
    expected = f"{config.output_repository}@{build.image_digest}"
    deployment = apps.read_namespaced_deployment("web", project)
    assert [c.image for c in deployment.spec.template.spec.containers] == ["side:1", expected]
    assert [
        c.image for c in apps.read_namespaced_deployment("other", project).spec.template.spec.containers
    ] == [
        "side:1",
        "old:1",
    ]
    wait_for(
        lambda: (
            apps.read_namespaced_deployment("web", project).metadata.annotations.get(
                "deployment.kubernetes.io/revision"
            )
            == "2"
        ),
        timeout=30,
        message="a new revision (a rolling update)",
    )
    assert config.image_tags.get().rolled_out_to == ["web"]
    assert "Rolling out the new image to deployment/web." in "\n".join(t for _, t in stored(build))


def test_bad_sources_fail_with_the_reason_in_the_log(people, project, celery_worker, tmp_path):
    url = git_repo(tmp_path / "repo", FLASK_APP)
    missing_ref = make_config(people["alice"], project, url, name="branch", git_ref="nope")
    # Queued without the check (as a webhook racing the detection would be): the log says why.
    build = finished(_force(people, missing_ref))
    assert build.status == "Failed"
    assert "Remote branch nope not found" in "\n".join(t for _, t in stored(build))
    unreachable = make_config(people["alice"], project, f"file://{tmp_path}/nothing-here", name="gone")
    wait_for(lambda: BuildConfig.objects.get(pk=unreachable.pk).plan_detected_at, 30, message="detection")
    unreachable.refresh_from_db()
    assert "git clone failed" in unreachable.plan_error
    # Known before queueing: the start is refused with git's reason.
    with pytest.raises(Refused, match="git clone failed"):
        start(people["alice"], unreachable)


def _force(people, config: BuildConfig) -> Build:
    return services.build_start(user=people["alice"], config=config, check_plan=False)


def test_nothing_runnable_and_conflicting_settings_are_refused_before_queueing(
    people, project, celery_worker, tmp_path
):
    nothing = git_repo(tmp_path / "nothing", {"requirements.txt": "requests\n", "lib.py": "x = 1\n"})
    config = make_config(people["alice"], project, nothing, name="lib")
    wait_for(lambda: BuildConfig.objects.get(pk=config.pk).plan_detected_at, 30, message="detection")
    alice = signed_in(people["alice"])
    page = alice.get(f"/projects/{project}/builds/lib/").content.decode()
    assert "Nothing to run" in page
    response = alice.post(f"/projects/{project}/builds/lib/start/", follow=True)
    assert "Nothing to run" in response.content.decode()
    assert not Build.objects.filter(config=config).exists()
    both = git_repo(
        tmp_path / "both", {**FLASK_APP, ".s2i/environment": "ENABLE_PIPENV=1\nENABLE_MICROPIPENV='1'\n"}
    )
    config = make_config(people["alice"], project, both, name="both")
    wait_for(lambda: BuildConfig.objects.get(pk=config.pk).plan_detected_at, 30, message="detection")
    response = alice.post(f"/projects/{project}/builds/both/start/", follow=True)
    assert "MICROPIPENV" in response.content.decode()
    assert not Build.objects.filter(config=config).exists()
    # The same conflict in the form is an error at the field, and nothing is created.
    response = alice.post(
        f"/projects/{project}/builds/new/",
        {
            "name": "conflict",
            "git_uri": both,
            "strategy": "source",
            "builder_image": "registry.access.redhat.com/ubi9/python-311",
            "env": "ENABLE_PIPENV=1\nENABLE_MICROPIPENV=1",
        },
    )
    assert response.status_code == 200 and 'data-testid="error-env"' in response.content.decode()
    response = alice.post(
        f"/projects/{project}/builds/new/",
        {"name": "bad", "git_uri": "github.com/org/app", "strategy": "source", "builder_image": "py:3"},
    )
    assert 'data-testid="error-git_uri"' in response.content.decode()
    assert not BuildConfig.objects.filter(name__in=["conflict", "bad"]).exists()


def test_a_full_quota_fails_the_build_with_the_clusters_reason(
    people, project, admin_client, celery_worker, tmp_path
):
    hog = {"cpu": "2", "memory": "1Gi"}
    client.AppsV1Api(admin_client).create_namespaced_deployment(
        project,
        {
            "metadata": {"name": "hog"},
            "spec": {
                "selector": {"matchLabels": {"app": "hog"}},
                "template": {
                    "metadata": {"labels": {"app": "hog"}},
                    "spec": {
                        "containers": [
                            {"name": "hog", "image": "hog:1", "resources": {"requests": hog, "limits": hog}}
                        ]
                    },
                },
            },
        },
    )
    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = make_config(people["alice"], project, url)
    build = finished(start(people["alice"], config), timeout=40)
    assert build.status == "Failed"
    assert "exceeded quota" in build.message
    assert "exceeded quota" in "\n".join(t for _, t in stored(build))


def test_a_webhook_build_runs_as_the_last_editor_and_the_cluster_decides(
    people, project, celery_worker, tmp_path
):
    url = git_repo(tmp_path / "repo", FLASK_APP)
    # carol saved the config once, but has no role in the project (any more).
    config = BuildConfig.objects.create(
        project=project,
        name="web",
        git_uri=url,
        git_ref="main",
        output_image="r/x/web:latest",
        github_secret="gh",
        generic_secret="gen",
        updated_by=people["carol"],
    )
    assert Client().post(f"/webhooks/{project}/web/generic/gen/").status_code == 202
    build = finished(Build.objects.get(config=config))
    assert build.status == "Failed"
    assert build.requested_by_name == "Generic webhook, as carol (who last saved the config)"
    assert build.action.requested_by_name == build.requested_by_name
    assert 'forbidden: User "carol" cannot create' in build.message


def test_a_source_secret_must_be_a_git_credential_of_the_project(people, project, admin_client, tmp_path):
    core = client.CoreV1Api(admin_client)
    core.create_namespaced_secret(
        project,
        {
            "metadata": {"name": "token"},
            "type": "kubernetes.io/basic-auth",
            "stringData": {"username": "u", "password": "p"},
        },
    )
    core.create_namespaced_secret(project, {"metadata": {"name": "opaque"}, "stringData": {"x": "y"}})
    url = git_repo(tmp_path / "repo", FLASK_APP)
    refusals = (("opaque", "is a Secret of type Opaque"), ("missing", "There is no Secret named missing"))
    for name, message in refusals:
        with pytest.raises(Refused, match=message) as refused:
            make_config(people["alice"], project, url, name=f"with-{name}", source_secret=name)
        assert refused.value.field == "source_secret"
    assert make_config(people["alice"], project, url, source_secret="token").source_secret == "token"


def test_delete_a_config_with_its_builds_once_none_runs(people, project, tmp_path, celery_worker):
    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = make_config(people["alice"], project, url)
    build = Build.objects.create(config=config, number=1, status="Running", requested_by_name="alice")
    BuildLogLine.objects.create(build=build, seq=1, text="STEP 1/4")
    alice, bob = signed_in(people["alice"]), signed_in(people["bob"])
    delete_url = f"/projects/{project}/builds/web/delete/"
    assert bob.get(delete_url).status_code == 403 and bob.post(delete_url).status_code == 403
    assert 'data-testid="delete-config"' not in bob.get(f"/projects/{project}/builds/web/").content.decode()

    page = alice.get(delete_url).content.decode()
    assert "Build #1 is running." in page and 'data-testid="confirm-delete-config" disabled' in page
    refused = alice.post(delete_url, follow=True)
    assert refused.redirect_chain[-1][0] == f"/projects/{project}/builds/web/"
    assert "Build #1 of web is running: cancel it or let it finish" in refused.content.decode()
    assert not Action.objects.filter(kind="buildconfig.delete").exists()

    Build.objects.filter(pk=build.pk).update(status="Complete")
    page = alice.get(delete_url).content.decode()
    assert "Its 1 build, their logs and its image history go with it." in page
    action = action_from(alice.post(delete_url))
    assert action.state == "succeeded", action.message
    assert action.message == "Build config web deleted with its 1 build(s) and their logs."
    assert action.next_url == f"/projects/{project}/builds/" and action.target == "buildconfig/web"
    assert not BuildConfig.objects.filter(pk=config.pk).exists()
    assert not Build.objects.filter(pk=build.pk).exists() and not BuildLogLine.objects.exists()
    assert alice.get(f"/projects/{project}/builds/web/").status_code == 404


def test_an_edit_previews_what_changes_and_a_stale_form_saves_nothing(
    people, project, tmp_path, celery_worker
):
    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = make_config(people["alice"], project, url, env={"A": "1"})
    alice = signed_in(people["alice"])
    edit = f"/projects/{project}/builds/web/edit/"
    opened = alice.get(edit).context["form"]
    data = {k: v for k, v in opened.initial.items() if v not in (None, False)}
    data["env"] = "A=2\nB=3"

    preview = alice.post(edit, {**data, "preview": ""})
    changes = [(c.what, c.before, c.after) for c in preview.context["changes"]]
    assert changes == [("env A", "1", "2"), ("env B", "—", "3")]
    assert 'data-testid="save-build-config"' in preview.content.decode()
    config.refresh_from_db()
    assert config.env == {"A": "1"}  # a preview saves nothing
    previewed = preview.context["form"].data["previewed"]

    # A save of values other than the previewed ones is a new preview, not a save.
    other = alice.post(edit, {**data, "env": "A=9", "previewed": previewed, "apply": ""})
    assert other.status_code == 200 and [c.after for c in other.context["changes"]] == ["9"]
    config.refresh_from_db()
    assert config.env == {"A": "1"}

    # Someone else saves meanwhile: this form's save is refused, showing their values.
    BuildConfig.objects.filter(pk=config.pk).update(git_ref="dev")
    stale = alice.post(edit, {**data, "previewed": previewed, "apply": ""})
    page = stale.content.decode()
    assert "Someone else changed web since you opened this form, so nothing was saved." in page
    assert stale.context["form"]["git_ref"].value() == "dev"
    config.refresh_from_db()
    assert (config.env, config.git_ref) == ({"A": "1"}, "dev")

    fresh = {**data, "git_ref": "dev", "version": stale.context["form"]["version"].value()}
    preview = alice.post(edit, {**fresh, "preview": ""})
    saved = action_from(
        alice.post(edit, {**fresh, "previewed": preview.context["form"].data["previewed"], "apply": ""})
    )
    assert (saved.kind, saved.state, saved.message) == (
        "buildconfig.update",
        "succeeded",
        "Build config web saved.",
    )
    assert saved.next_url == f"/projects/{project}/builds/web/"
    config.refresh_from_db()
    assert (config.env, config.git_ref) == ({"A": "2", "B": "3"}, "dev")
    # A change queued against a version that is no longer the config's saves nothing.
    target = project_selectors.project_get(user=people["alice"], name=project)
    current = {key: getattr(config, key) for key in CONFIG_FIELDS}
    queued = services.build_config_edit(
        user=people["alice"],
        project=target,
        config=config,
        data={**current, "git_ref": "main"},
        version="0" * 16,
    )
    failed = wait_for(
        lambda: Action.objects.filter(pk=queued.pk, state__in=["succeeded", "failed"]).first(),
        message="the stale edit to finish",
    )
    assert failed.state == "failed" and "Someone else changed web since you previewed" in failed.message
    config.refresh_from_db()
    assert config.git_ref == "dev"
    unchanged = alice.post(
        edit, {**fresh, "version": alice.get(edit).context["form"].initial["version"], "env": "A=2\nB=3"}
    )
    assert "Nothing would change: edit a value first." in unchanged.content.decode()


def test_one_project_runs_at_most_its_share_of_builds_at_once(
    people, project, make_project, tmp_path, settings, celery_worker
):
    settings.BERTH_PROJECT_BUILDS_AT_ONCE = 2
    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = make_config(people["alice"], project, url)
    for number in (1, 2):
        Build.objects.create(config=config, number=number, status="Running", requested_by_name="alice")
    BuildConfig.objects.filter(pk=config.pk).update(next_number=3)
    alice = signed_in(people["alice"])

    refused = alice.post(f"/projects/{project}/builds/web/start/", follow=True).content.decode()
    assert "has 2 builds waiting or running" in refused and "BERTH_PROJECT_BUILDS_AT_ONCE = 2" in refused
    webhook = Client().post(f"/webhooks/{project}/web/generic/{config.generic_secret}/")
    assert webhook.status_code == 422 and "BERTH_PROJECT_BUILDS_AT_ONCE = 2" in webhook.json()["message"]
    # A change is saved all the same, saying why its build did not start.
    project_obj = project_selectors.project_get(user=people["alice"], name=project)
    data = {field: getattr(config, field) for field in CONFIG_FIELDS} | {
        "env": {"A": "1"},
        "trigger_config_change": True,
    }
    changed = services.build_config_update(
        user=people["alice"], project=project_obj, config=config, data=data
    )
    assert "BERTH_PROJECT_BUILDS_AT_ONCE = 2" in changed.build_not_started
    assert BuildConfig.objects.get(pk=config.pk).env == {"A": "1"}
    assert Build.objects.filter(config=config).count() == 2

    # Another project's builds are not held back.
    other = make_project(people["alice"])
    other_config = make_config(people["alice"], other, url)
    assert start(people["alice"], other_config).number == 1
    # Once one has finished, the project may build again.
    Build.objects.filter(config=config, number=1).update(status="Complete")
    assert start(people["alice"], config).number == 3


def test_webhooks_start_at_most_their_hourly_share_of_a_projects_builds(
    people, project, tmp_path, settings, celery_worker
):
    settings.BERTH_WEBHOOK_BUILDS_PER_HOUR = 2
    url = git_repo(tmp_path / "repo", FLASK_APP)
    config = make_config(people["alice"], project, url)
    webhook = f"/webhooks/{project}/web/generic/{config.generic_secret}/"
    answers = [Client().post(webhook) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert "BERTH_WEBHOOK_BUILDS_PER_HOUR = 2" in answers[2].json()["message"]
    assert config.deliveries.order_by("-pk").first().outcome.startswith("not built: webhooks have started 2")
    assert Build.objects.filter(config=config).count() == 2
    # A person may still start one from the console.
    Build.objects.filter(config=config).update(status="Complete")
    assert start(people["alice"], config).number == 3
