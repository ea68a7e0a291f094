"""Real builds on the devcluster's real node, through Berth: Import from Git, a build
that clones, installs from the local package index and pushes with buildah, the
rollout, the route; a push that rolls out version 2; a rollback to version 1; a
failing post-commit hook.

The repositories live on the devcluster's Git server (git daemon on the node's
bridge); pods clone them, the worker never does.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from kubernetes import client
from playwright.sync_api import expect

from actions.models import Action
from builds import services
from builds.models import Build, BuildConfig, BuildLogLine
from builds.webhooks import github_signature
from projects import selectors as project_selectors
from tests.conftest import running_asgi_server
from tests.e2e.test_real_apps import ready_pod
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, ROOT, wait_for
from tools.dev import berth_settings_for
from workloads import services as workload_services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BUILD_TIMEOUT = 420


def django_app(version: str, requirements: str = "django==5.2.19\ngunicorn==23.0.0\n") -> dict[str, str]:
    return {
        # Without it (no wsgi.py at the root) s2i would use Django's runserver.
        ".s2i/environment": "APP_MODULE=hello.wsgi\n",
        "requirements.txt": requirements,
        "manage.py": (
            "import os, sys\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'hello.settings')\n"
            "from django.core.management import execute_from_command_line\n"
            "execute_from_command_line(sys.argv)\n"
        ),
        "hello/__init__.py": "",
        "hello/settings.py": (
            "SECRET_KEY = 'sample-only'\nDEBUG = False\nALLOWED_HOSTS = ['*']\n"
            "ROOT_URLCONF = 'hello.urls'\nINSTALLED_APPS = []\n"
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': '/tmp/db.sqlite3'}}\n"
        ),
        "hello/urls.py": (
            "from django.http import HttpResponse\nfrom django.urls import path\n\n"
            f"urlpatterns = [path('', lambda request: HttpResponse('Hello from {version}'))]\n"
        ),
        "hello/wsgi.py": (
            "import os\nfrom django.core.wsgi import get_wsgi_application\n\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'hello.settings')\n"
            "application = get_wsgi_application()\n"
        ),
    }


class ServedRepo:
    """A repository on the devcluster's Git server, with a working copy that pushes to it."""

    def __init__(self, real_node, work: Path, files: dict[str, str]):
        name = f"app-{secrets.token_hex(4)}.git"
        self.bare = real_node.git_root / name
        self.url = f"{real_node.git_server}{name}"
        self.work = work
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.bare)], check=True)
        work.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.commit(files, "First version")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=Test", "-c", "user.email=t@example.org", *args],
            cwd=self.work,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def commit(self, files: dict[str, str], message: str) -> str:
        for name, text in files.items():
            (self.work / name).parent.mkdir(parents=True, exist_ok=True)
            (self.work / name).write_text(text)
        self.git("add", ".")
        self.git("commit", "-q", "-m", message)
        self.git("push", "-q", str(self.bare), "main")
        return self.git("rev-parse", "HEAD").strip()

    def remove(self) -> None:
        subprocess.run(["rm", "-rf", str(self.bare)], check=False)


@pytest.fixture(scope="module")
def routed_server(django_db_setup, redis_url, berth_cluster, real_node):
    """Berth as `make dev` runs it on the local cluster, and the registry's token
    service: the realm on the node's gateway forwards to this server meanwhile."""
    from django.conf import settings as django_settings

    cluster = berth_cluster.plane.env()
    env = berth_settings_for(cluster)
    env["KUBECONFIG"] = env["BERTH_WEB_KUBECONFIG"]  # the web process's own identity
    upstream = Path(cluster["REGISTRY_TOKEN_UPSTREAM"])
    before = upstream.read_text() if upstream.exists() else None
    with running_asgi_server(
        redis_url, name="asgi-server-builds", SECRET_KEY=django_settings.SECRET_KEY, **env
    ) as url:
        upstream.write_text(urlsplit(url).netloc + "\n")
        try:
            yield url
        finally:
            if before is None:
                upstream.unlink(missing_ok=True)
            else:
                upstream.write_text(before)


@pytest.fixture
def real_builds(settings, routed_server, berth_cluster, real_node):
    """Berth's settings as `make dev` sets them for the local cluster (in this process,
    where the worker runs too)."""
    env = berth_settings_for(berth_cluster.plane.env())
    for key, value in env.items():
        if key.startswith("BERTH_"):
            setattr(settings, key, value)
    settings.BERTH_BUILD_REGISTRY_INSECURE = True
    return env


@pytest.fixture
def served_repo(real_node, tmp_path):
    made: list[ServedRepo] = []

    def make(files: dict[str, str]) -> ServedRepo:
        repo = ServedRepo(real_node, tmp_path / f"work-{len(made)}", files)
        made.append(repo)
        return repo

    yield make
    for repo in made:
        repo.remove()


def through_router(router_url: str, host: str) -> str:
    """The app's answer through the devcluster's router, or '' while it has none."""
    router = urlsplit(router_url)
    conn = http.client.HTTPConnection(router.hostname, router.port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Host": host})
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        return body if response.status == 200 else ""
    except OSError:
        return ""
    finally:
        conn.close()


def finished(build: Build) -> Build:
    return wait_for(
        lambda: build if (build.refresh_from_db() or build.is_finished) else None,
        timeout=BUILD_TIMEOUT,
        interval=0.5,
        message=f"build {build.name} to finish",
    )


def log_text(build: Build) -> str:
    return "\n".join(BuildLogLine.objects.filter(build=build).order_by("seq").values_list("text", flat=True))


def run_action(action: Action) -> Action:
    return wait_for(
        lambda: Action.objects.filter(pk=action.pk, state__in=["succeeded", "failed"]).first(),
        timeout=60,
        message=f"the action {action.kind}",
    )


def source_config(user, project: str, url: str, **data) -> BuildConfig:
    """A build config of the app at ``url`` (a served repository), made as ``user``."""
    project_obj = project_selectors.project_get(user=user, name=project)
    return services.build_config_create(
        user=user,
        project=project_obj,
        name="web",
        data={"git_uri": url, "git_ref": "main", "strategy": "source", "env": {}, **data},
    )


def import_app(user, project: str, url: str, name: str = "web") -> Build:
    project_obj = project_selectors.project_get(user=user, name=project)
    action = services.import_from_git(
        user=user,
        project=project_obj,
        name=name,
        data={"git_uri": url, "git_ref": "main", "context_dir": "", "env": {}, "port": 8080, "expose": True},
    )
    action = wait_for(
        lambda: Action.objects.filter(pk=action.pk, state__in=["succeeded", "failed"]).first(),
        timeout=60,
        message="the import action",
    )
    assert action.state == "succeeded", action.message
    return Build.objects.get(config__project=project, config__name=name, number=1)


def test_import_build_push_and_rollback_for_real(
    real_builds, routed_server, served_repo, celery_worker, people, make_project, admin_client, real_node
):
    project = make_project(people["alice"], real=True)
    repo = served_repo(django_app("version 1"))
    first = finished(import_app(people["alice"], project, repo.url))
    text = log_text(first)
    assert first.status == "Complete", f"{first.message}\n{text}"
    assert not first.simulated and first.image_digest.startswith("sha256:")
    assert first.commit == repo.git("rev-parse", "HEAD").strip()
    # The real build's own output: the clone in the pod, pip from the local index, buildah's push.
    assert "Plan: will run: " in text and "gunicorn" in text
    assert "Successfully installed" in text and "Django-5.2.19" in text.replace(
        "django-5.2.19", "Django-5.2.19"
    )
    assert "Writing manifest to image destination" in text
    assert "This cluster runs no containers" not in text

    apps = client.AppsV1Api(admin_client)
    host = f"web-{project}.{real_builds['BERTH_APPS_DOMAIN']}"
    wait_for(
        lambda: "Hello from version 1" in through_router(real_node.router_url, host), timeout=120, interval=1
    )
    deployment = apps.read_namespaced_deployment("web", project)
    assert deployment.spec.replicas == 1
    assert deployment.spec.template.spec.containers[0].image.endswith("@" + first.image_digest)

    # A push, announced by GitHub's webhook, builds version 2 and rolls it out at the same URL.
    config = BuildConfig.objects.get(project=project, name="web")

    def push(files: dict[str, str], number: int) -> Build:
        after = repo.commit(files, f"Version {number}")
        payload = {"ref": "refs/heads/main", "after": after, "repository": {"default_branch": "main"}}
        body = json.dumps(payload).encode()
        response = Client().post(
            f"/webhooks/{project}/web/github/",
            body,
            "application/json",
            HTTP_X_HUB_SIGNATURE_256=github_signature(config.github_secret, body),
            HTTP_X_GITHUB_EVENT="push",
            HTTP_X_GITHUB_DELIVERY=f"push-{number}",
        )
        assert response.status_code == 202, response.content
        build = finished(Build.objects.get(config=config, number=number))
        assert build.status == "Complete", f"{build.message}\n{log_text(build)}"
        return build

    second = push(django_app("version 2"), 2)
    # Incremental: the same requirements and builder image, so the first build's
    # dependencies image is reused and pip installs nothing.
    assert "Dependencies: installing them;" in text
    second_text = log_text(second)
    assert "Dependencies: reusing" in second_text and "Successfully installed" not in second_text
    wait_for(
        lambda: "Hello from version 2" in through_router(real_node.router_url, host), timeout=120, interval=1
    )

    # Rolling back to the revision that ran version 1 brings it back.
    revision = int(deployment.metadata.annotations["deployment.kubernetes.io/revision"])
    project_obj = project_selectors.project_get(user=people["alice"], name=project)
    workload_services.deployment_rollback(
        user=people["alice"], project=project_obj, name="web", revision=revision
    )
    wait_for(
        lambda: "Hello from version 1" in through_router(real_node.router_url, host), timeout=120, interval=1
    )

    # Promoting web:latest (version 2) to web:prod rolls out the deployment that follows
    # web:prod; deleting the tag keeps web:latest.
    from builds import cluster as cluster_builds
    from images import selectors as image_selectors
    from images import services as image_services
    from kube import identity_for_user

    cluster_builds.following_deployment_create(
        identity_for_user(people["alice"]),
        namespace=project,
        name="prod",
        image=config.output_image,
        stream_tag="web:prod",
        port=8080,
    )
    done = run_action(
        image_services.image_tag(
            user=people["alice"], project=project_obj, image="web", source="latest", tag="prod"
        )
    )
    assert done.state == "succeeded" and "rolling out prod" in done.message, done.message
    prod = wait_for(lambda: ready_pod(admin_client, project, "prod"), timeout=120, message="prod running")
    assert prod.spec.containers[0].image.endswith("@" + second.image_digest)
    [stream] = image_selectors.image_streams(user=people["alice"], project=project_obj)
    rows = {row.tag: row for row in stream.tags}
    assert (
        set(rows) == {"latest", "prod"}
        and rows["prod"].digest == rows["latest"].digest == second.image_digest
    )
    assert rows["latest"].build.build == second
    done = run_action(
        image_services.image_untag(user=people["alice"], project=project_obj, image="web", tag="prod")
    )
    assert done.state == "succeeded" and "latest still name" in done.message, done.message
    [stream] = image_selectors.image_streams(user=people["alice"], project=project_obj)
    assert [row.tag for row in stream.tags] == ["latest"]  # not the dependencies' tag
    # bob has no role in the project: the images are not his to tag.
    assert image_selectors.image_streams(user=people["bob"], project=project_obj) == []

    # Changed requirements install again, into a dependencies image of their own.
    third = push(django_app("version 3", "django==5.2.19\ngunicorn==23.0.0\nsqlparse==0.6.1\n"), 3)
    third_text = log_text(third)
    assert "Dependencies: installing them;" in third_text and "Successfully installed" in third_text
    token = registry_token(routed_server, f"repository:{project}/web:pull", ("alice", PASSWORD))
    status, listed = registry_get(real_builds, f"/v2/{project}/web/tags/list", token)
    deps = [tag for tag in json.loads(listed)["tags"] if tag.startswith("berth-deps-")]
    assert status == 200 and len(deps) == 2, listed
    # The config's image history: three images, only the newest is what web:latest names now.
    page = Client()
    page.force_login(people["alice"])
    history = page.get(f"/projects/{project}/builds/web/").content.decode()
    assert history.count('data-testid="image-history-row"') == 3
    assert history.count('data-testid="current-tag"') == 1 and history.count("was latest") == 2


def test_a_failing_post_commit_hook_fails_the_build_and_rolls_nothing_out(
    real_builds, routed_server, served_repo, celery_worker, people, make_project, admin_client, real_node
):
    project = make_project(people["alice"], real=True)
    repo = served_repo(django_app("version 1"))
    project_obj = project_selectors.project_get(user=people["alice"], name=project)
    config = source_config(
        people["alice"], project, repo.url, post_commit="python manage.py check && echo checked && exit 3"
    )
    from builds import cluster as cluster_builds
    from kube import identity_for_user

    cluster_builds.following_deployment_create(
        identity_for_user(people["alice"]),
        namespace=project,
        name="web",
        image=config.output_image,
        stream_tag=config.stream_tag,
        port=8080,
    )
    build = finished(
        services.build_start(user=people["alice"], config=config, project=project_obj, check_plan=False)
    )
    text = log_text(build)
    assert build.status == "Failed", text
    assert "checked" in text and "The post-commit hook failed: nothing is pushed." in text
    assert not config.image_tags.exists()
    deployment = client.AppsV1Api(admin_client).read_namespaced_deployment("web", project)
    assert deployment.spec.replicas == 0  # still waiting for a first image: nothing rolled out
    assert deployment.spec.template.spec.containers[0].image == config.output_image
    token = registry_token(routed_server, f"repository:{project}/web:pull", ("alice", PASSWORD))
    assert registry_get(real_builds, f"/v2/{project}/web/tags/list", token)[0] == 404  # nothing pushed


def test_import_from_git_in_the_browser_watch_the_build_and_open_the_app(
    page, routed_server, real_builds, celery_worker, people, make_project, real_node
):
    project = make_project(people["alice"], real=True)
    log_in(page, routed_server, "alice", PASSWORD)
    page.goto(f"{routed_server}/projects/{project}/builds/")
    page.get_by_test_id("import-from-git").click()
    # The sample the devcluster's Git server offers to a new `make dev`.
    page.fill("input[name=git_uri]", f"{real_node.git_server}django-hello.git")
    page.fill("input[name=name]", "shop")
    page.get_by_test_id("import-submit").click()
    # The action page, then the build's page with its live log.
    page.wait_for_url(f"**/projects/{project}/builds/shop/1/", timeout=60_000)
    expect(page.get_by_test_id("build-log")).to_contain_text(
        "Successfully installed", timeout=BUILD_TIMEOUT * 1000
    )
    expect(page.get_by_test_id("build-status")).to_have_attribute(
        "data-status", "Complete", timeout=BUILD_TIMEOUT * 1000
    )
    link = page.get_by_test_id("app-url")
    expect(link).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("app-ready")).to_contain_text("1 of 1 ready", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "import-from-git-build.png"))
    link.click()
    expect(page.locator("body")).to_contain_text("Hello from Berth's sample app", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "import-from-git-app.png"))


def registry_token(server: str, scope: str, credentials: tuple[str, str] | None) -> str:
    """A token from Berth's token service, as a registry client gets it."""
    import base64

    parts = urlsplit(server)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {}
    if credentials:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(credentials).encode()).decode()
    conn.request("GET", f"/registry/token?service=berth-registry&scope={scope}", headers=headers)
    response = conn.getresponse()
    body = json.loads(response.read() or b"{}")
    assert response.status == 200, body
    return body["token"]


def registry_get(env: dict, path: str, token: str, method: str = "GET") -> tuple[int, bytes]:
    host, port = env["BERTH_BUILD_REGISTRY"].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request(method, path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    return response.status, response.read()


def test_the_registry_lets_each_caller_into_its_own_repositories_only(
    real_builds, routed_server, people, make_project, admin_client, tmp_path
):
    from devcluster import images
    from images import registry

    mine = make_project(people["alice"], real=True)
    theirs = make_project(people["carol"], real=True)
    skopeo = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", f"alice:{PASSWORD}"]
    layout = f"oci:{images.layout_dir(images.PAUSE)}:{images.PAUSE.key}"
    target = real_builds["BERTH_BUILD_REGISTRY"]
    # A person: pushes where the cluster lets them (alice edits `mine`), not elsewhere.
    ok = subprocess.run(
        [*skopeo, layout, f"docker://{target}/{mine}/pause:1"], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    refused = subprocess.run(
        [*skopeo, layout, f"docker://{target}/{theirs}/pause:1"], capture_output=True, text=True
    )
    assert refused.returncode != 0 and ("401" in refused.stderr or "denied" in refused.stderr), refused.stderr
    wrong = subprocess.run(
        [*skopeo[:-1], "alice:wrong", layout, f"docker://{target}/{mine}/pause:2"],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode != 0
    # What a token allows is what the registry enforces.
    token = registry_token(routed_server, f"repository:{theirs}/pause:pull,push", ("alice", PASSWORD))
    assert registry_get(real_builds, f"/v2/{theirs}/pause/blobs/uploads/", token, "POST")[0] == 401
    token = registry_token(routed_server, f"repository:{mine}/pause:pull", ("alice", PASSWORD))
    assert registry_get(real_builds, f"/v2/{mine}/pause/tags/list", token) == (
        200,
        b'{"name":"%s/pause","tags":["1"]}\n' % mine.encode(),
    )
    anonymous = registry_token(routed_server, f"repository:{mine}/pause:pull", None)
    assert registry_get(real_builds, f"/v2/{mine}/pause/tags/list", anonymous)[0] == 401
    # A build pod's credential: its one repository.
    build = ("berth-build", registry.build_credential(repository=f"{mine}/web"))
    token = registry_token(routed_server, f"repository:{mine}/web:pull,push", build)
    assert registry_get(real_builds, f"/v2/{mine}/web/blobs/uploads/", token, "POST")[0] == 202
    for other in (f"{theirs}/web", f"{theirs}/pause", f"{mine}/pause"):
        token = registry_token(routed_server, f"repository:{other}:pull,push", build)
        assert registry_get(real_builds, f"/v2/{other}/blobs/uploads/", token, "POST")[0] == 401, other
    token = registry_token(routed_server, f"repository:{mine}/pause:pull", build)
    assert (
        registry_get(real_builds, f"/v2/{mine}/pause/tags/list", token)[0] == 200
    )  # builds on its project's images
    # A project's pull secret: pulls of that project's repositories only.
    pull = ("berth-pull", registry.pull_credential(project=mine))
    token = registry_token(routed_server, f"repository:{mine}/pause:pull,push", pull)
    assert registry_get(real_builds, f"/v2/{mine}/pause/tags/list", token)[0] == 200
    assert registry_get(real_builds, f"/v2/{mine}/pause/blobs/uploads/", token, "POST")[0] == 401
    token = registry_token(routed_server, f"repository:{theirs}/pause:pull", pull)
    assert registry_get(real_builds, f"/v2/{theirs}/pause/tags/list", token)[0] == 401

    # A deleted project's images go with it: a project made later under its name pulls nothing.
    from projects import data

    token = registry_token(routed_server, f"repository:{mine}/pause:pull", pull)
    assert b'"1"' in registry_get(real_builds, f"/v2/{mine}/pause/tags/list", token)[1]
    data.purge(name=mine)
    status, body = registry_get(real_builds, f"/v2/{mine}/pause/tags/list", token)
    assert status == 404 or json.loads(body).get("tags") in (None, []), body[:200]


@contextlib.contextmanager
def build_worker(env: dict[str, str], name: str):
    """A worker process of the builds pool (the one `make dev` runs), which a test may kill."""
    log = open(ARTIFACTS / f"{name}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "console",
            "worker",
            "-P",
            "solo",
            "-Q",
            "killtest-builds",
            "--loglevel=WARNING",
            "-n",
            f"{name}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        log.close()


def test_a_worker_killed_mid_build_is_taken_over_without_losing_or_repeating_a_line(
    real_builds, routed_server, served_repo, people, make_project, admin_client, monkeypatch, redis_url
):
    from django.conf import settings

    from actions.registry import task_for_kind

    project = make_project(people["alice"], real=True)
    repo = served_repo(django_app("version 1"))
    project_obj = project_selectors.project_get(user=people["alice"], name=project)
    config = source_config(people["alice"], project, repo.url)
    env = {
        **os.environ,
        **{k: v for k, v in real_builds.items() if k.startswith("BERTH_")},
        "BERTH_MODE": "test",
        "DJANGO_SETTINGS_MODULE": "console.settings_test",
        "DATABASE_URL": f"sqlite:///{settings.DATABASES['default']['NAME']}",
        "REDIS_URL": redis_url,
        # The builds worker with its own identity, as `make dev` runs it: no namespace rights.
        "KUBECONFIG": real_builds["BERTH_BUILDS_KUBECONFIG"],
        "SECRET_KEY": settings.SECRET_KEY,
        "BERTH_CELERY_QUEUE": "killtest",
        "BERTH_BUILD_ORPHAN_SECONDS": "10",
    }
    task = task_for_kind("build.start")
    monkeypatch.setattr(task, "delay", lambda pk: task.apply_async((pk,), queue="killtest-builds"))
    with build_worker(env, "build-worker-1") as first:
        build = services.build_start(
            user=people["alice"], config=config, project=project_obj, check_plan=False
        )
        wait_for(
            lambda: build.refresh_from_db() or (build.log_container == "build" and build.log_timestamp_lines),
            timeout=BUILD_TIMEOUT,
            interval=0.2,
            message="the build container's first lines stored",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    stored_before = build.last_seq
    with build_worker(env, "build-worker-2"):
        build = finished(build)
    assert build.status == "Complete", build.message
    assert build.last_seq > stored_before
    lines = list(BuildLogLine.objects.filter(build=build).order_by("seq").values_list("text", flat=True))
    assert [n for n, _ in enumerate(lines, 1)] == list(
        BuildLogLine.objects.filter(build=build).order_by("seq").values_list("seq", flat=True)
    )
    start = next(i for i, line in enumerate(lines) if line.startswith("Created Job "))
    end = next(i for i, line in enumerate(lines) if line.startswith("Image "))
    takeover = "-- Berth's worker changed; following the build on from its last stored line --"
    assert lines.count(takeover) == 1
    from_pod = [line for line in lines[start + 1 : end] if line != takeover]
    core = client.CoreV1Api(admin_client)
    actual = []
    for container in ("git-clone", "build"):
        raw = core.read_namespaced_pod_log(
            build.pod_name, project, container=container, _preload_content=False
        )
        actual += raw.data.decode().splitlines()
    assert from_pod == actual  # every line of the pod's log, once, in order
