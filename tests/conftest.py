"""Fixtures shared by the whole suite: a real Celery worker, the ASGI server, Chromium.

Redis comes from the environment (`make test` starts a private redis-server
and sets REDIS_URL); the control plane from devcluster's fixtures.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ARTIFACTS, PASSWORD, ROOT, wait_for
from tools.services import free_port, redis_answers, stop

pytest_plugins = ["devcluster.fixtures"]

# The reliability suite (`make reliability`) runs on its own: minutes of kills and
# generated inputs, with figures for docs/reliability.md.
collect_ignore_glob = [] if os.environ.get("BERTH_RELIABILITY") else ["reliability/*"]

# Each folder is a kind of test, and its marker (the one place they are set):
# `make test-fast` runs `-m "unit or web"` minus anything that needs the cluster.
FOLDER_MARKERS = ("unit", "web", "worker", "cluster", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    for item in items:
        folder = Path(item.path).relative_to(tests_dir).parts[0]
        if folder in FOLDER_MARKERS:
            item.add_marker(getattr(pytest.mark, folder))


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test gets channel layer objects of its own. channels-redis keeps receive state on
    the layer (a lock bound to one event loop, a count of receivers): a consumer an earlier
    test's event loop left behind would share it with the next test's consumers."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session")
def redis_url() -> str:
    from django.conf import settings

    if not redis_answers(settings.REDIS_URL):
        pytest.fail(f"Redis does not answer at {settings.REDIS_URL}: run the suite with `make test`.")
    return settings.REDIS_URL


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, redis_url):
    """A real Celery worker (in a thread of this process) consuming both of Berth's queues."""
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from console.celery import app

    queues = [settings.CELERY_TASK_DEFAULT_QUEUE, settings.BERTH_BUILD_QUEUE]  # both pools' work
    with (
        django_db_blocker.unblock(),
        start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
            queues=queues,
        ) as w,
    ):
        yield w


@pytest.fixture(scope="session")
def berth_cluster(devcluster):
    """Point Berth's client at the devcluster and apply Berth's RBAC there."""
    from django.conf import settings

    from kube import informer
    from kube.bootstrap import rbac_apply
    from kube.client import reset_config

    previous = settings.KUBECONFIG
    settings.KUBECONFIG = str(devcluster.kubeconfig)
    reset_config()
    rbac_apply(devcluster_users=True)
    yield devcluster
    # The informers' threads would go on watching, and logging, into a closed session.
    informer.stop_all()
    settings.KUBECONFIG = previous
    reset_config()


@pytest.fixture
def private_plane(settings, monkeypatch):
    """A control plane of the test's own (state directory and ports; kwok's nodes, no real
    node), Berth's client pointed at it: a test may stop its API server and disturb no other."""
    from devcluster.plane import Plane
    from kube import informer
    from kube.client import reset_config

    monkeypatch.setenv("BERTH_DEVCLUSTER_REAL_NODE", "0")
    directory = Path(tempfile.mkdtemp(prefix="berth-private-plane-"))
    plane = Plane(directory)
    result = plane.up(probe=False)
    settings.KUBECONFIG = str(result.kubeconfig)
    reset_config()
    try:
        yield plane
    finally:
        informer.stop_all()  # the watches of its namespaces would outlive it, retrying
        plane.down(purge=True)
        reset_config()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def cluster_admin(people, berth_cluster, admin_client):
    """A person the cluster treats as its administrator (bound to cluster-admin): who may
    set any quota, or add templates for every project."""
    from django.contrib.auth import get_user_model
    from kubernetes import client

    rbac = client.RbacAuthorizationV1Api(admin_client)
    binding = {
        "metadata": {"name": "test-cluster-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "root"}],
    }
    rbac.create_cluster_role_binding(binding)
    yield get_user_model().objects.create_user("root", password=PASSWORD)
    rbac.delete_cluster_role_binding("test-cluster-admin")


@pytest.fixture
def people(db):
    """Django accounts for the devcluster's identities, with the same groups."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from console.management.commands.dev_users import PEOPLE

    made = {}
    for name, groups in PEOPLE.items():
        user = get_user_model().objects.create_user(name, password=PASSWORD)
        user.groups.set([Group.objects.get_or_create(name=group)[0] for group in groups])
        made[name] = user
    return made


@contextlib.contextmanager
def running_asgi_server(redis_url: str, name: str = "asgi-server", **extra_env: str):
    """Berth's ASGI app in uvicorn on a free 127.0.0.1 port, on the test database.

    pytest-django's live_server speaks no websockets; this is the real server.
    ``extra_env`` sets more of its settings (the local cluster's router, say).
    """
    from django.conf import settings

    port = free_port()
    env = {
        **os.environ,
        "BERTH_MODE": "test",
        "DJANGO_SETTINGS_MODULE": "console.settings_test",
        "DATABASE_URL": f"sqlite:///{settings.DATABASES['default']['NAME']}",
        "REDIS_URL": redis_url,
        "KUBECONFIG": settings.KUBECONFIG,
        **extra_env,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"{name}.log", "w")  # noqa: SIM115 - closed below
    command = [sys.executable, "-m", "uvicorn", "console.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--ws", "websockets", "--log-level", "warning"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"uvicorn exited with {proc.returncode}; see {log.name}")
        try:
            return urllib.request.urlopen(f"{url}/login/", timeout=2).status == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    try:
        wait_for(ready, timeout=30, message="the ASGI server")
        yield url
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, redis_url, berth_cluster):
    # As `make dev` runs it: with the web process's own identity (deploy/rbac.yaml).
    web = berth_cluster.plane.env()["KUBECONFIG_WEB"]
    with running_asgi_server(redis_url, KUBECONFIG=web) as url:
        yield url


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright (no browser download).

    Playwright's sync API keeps an event loop running in this thread, which
    Django would take for async code: the ORM calls of browser tests are
    plain sync code, so they are allowed (as Playwright's docs advise).
    Module scope: while Playwright runs, no other test of the session could run
    its own event loop.
    """
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium).")
    user_data = tempfile.mkdtemp(prefix="berth-chromium-")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(user_data, ignore_errors=True)
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, request):
    """A fresh page (cookies cleared); a screenshot is saved when the test ends."""
    browser.clear_cookies()
    page = browser.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    page.close()


@pytest.fixture
def make_project(berth_cluster, admin_client):
    """Create projects the way the project.create action does; delete them afterwards.

    Their pods go to kwok's fake nodes (these tests are about mechanics: nothing
    pretends they ran), unless ``real=True`` asks for the real node.
    """
    from kubernetes import client

    from devcluster.placement import use_fake_nodes
    from kube import identity_for_user
    from projects import cluster as cluster_projects
    from tests.helpers import SMALL, unique_name

    made: list[str] = []

    core = client.CoreV1Api(admin_client)

    def make(owner, name: str | None = None, display_name: str = "", real: bool = False) -> str:
        name = name or unique_name()
        cluster_projects.project_create(
            identity_for_user(owner),
            name=name,
            display_name=display_name,
            description="",
            quota=SMALL,
            action_id=0,
        )
        made.append(name)
        if not real:
            use_fake_nodes(core, name)
        return name

    yield make
    for name in made:
        with contextlib.suppress(client.exceptions.ApiException):
            core.delete_namespace(name)
