"""A terminal in the browser, in a pod that really runs on the real node: xterm.js over
Berth's websocket to the cluster's exec API, as the person."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import client
from playwright.sync_api import expect

from actions.models import Action
from kube import Forbidden
from kube.client import make_identity
from tests.conftest import running_asgi_server
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, bind, make_deployment, running_pods, wait_for
from workloads import cluster as cluster_workloads

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def terminal_server(django_db_setup, redis_url, berth_cluster, real_node):
    # A removed member's terminal closes at the next recheck: a short one here.
    # As `make dev` runs it: the web process's own identity (a token) for the exec API.
    web = berth_cluster.plane.env()["KUBECONFIG_WEB"]
    with running_asgi_server(
        redis_url, name="asgi-server-terminal", BERTH_SOCKET_RECHECK_SECONDS="2", KUBECONFIG=web
    ) as url:
        yield url


@pytest.fixture
def running_app(people, make_project, admin_client, real_node):
    """A real project (alice admins it, bob edits, carol views) with one running pod of
    a Deployment whose environment says hello."""
    project = make_project(people["alice"], real=True)
    bind(admin_client, project, "edit", user="bob")
    bind(admin_client, project, "view", user="carol")
    make_deployment(
        admin_client,
        project,
        "shell",
        image=real_node.python_image,
        container={
            "name": "app",
            "command": ["sleep", "3600"],
            "env": [{"name": "GREETING", "value": "hello from the app's environment"}],
            "resources": {"limits": {"cpu": "200m", "memory": "128Mi"}},
        },
    )
    running = wait_for(
        lambda: running_pods(admin_client, project, "shell"), timeout=90, message="the app's pod running"
    )
    return project, running[0]


def _open(page, server: str, project: str, pod: str, *, from_deployment: bool = False):
    if from_deployment:  # "a terminal in one of its pods"
        page.goto(f"{server}/projects/{project}/deployments/shell/")
        page.get_by_test_id("deployment-terminal").click()
        page.wait_for_url(f"**/projects/{project}/pods/{pod}/terminal/")
    else:
        page.goto(f"{server}/projects/{project}/pods/{pod}/")
        page.get_by_test_id("open-terminal").click()
    expect(page.get_by_test_id("terminal")).to_have_attribute("data-status", "open", timeout=30_000)
    page.get_by_test_id("terminal").click()


def _run(page, command: str) -> None:
    page.keyboard.type(command)
    page.keyboard.press("Enter")


def test_a_terminal_runs_commands_in_the_apps_environment_and_follows_the_window(
    page, terminal_server, running_app, people
):
    project, pod = running_app
    log_in(page, terminal_server, "alice", PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    _open(page, terminal_server, project, pod)
    screen = page.locator(".xterm-rows")
    _run(page, "echo $((6*7))")
    expect(screen).to_contain_text("42")
    _run(page, "echo $GREETING")
    expect(screen).to_contain_text("hello from the app's environment")
    # Ctrl-C reaches the shell's foreground command; UTF-8 goes both ways.
    _run(page, "sleep 600; echo slept")
    page.keyboard.press("Control+C")
    _run(page, "echo interrupted, déjà vu ✓")
    expect(screen).to_contain_text("vu ✓interrupted, déjà vu ✓")  # the command, then its output
    assert screen.inner_text().count("slept") == 1  # typed once, never printed: interrupted

    box = page.get_by_test_id("terminal")

    def size() -> str:
        return f"{box.get_attribute('data-rows')} {box.get_attribute('data-columns')}"

    before = size()
    _run(page, "clear; stty size")
    expect(screen).to_contain_text(before)
    page.set_viewport_size({"width": 900, "height": 700})
    wait_for(lambda: size() != before, timeout=10, message="the terminal to fit the smaller window")
    after = size()
    _run(page, "clear; stty size")
    expect(screen).to_contain_text(after)  # the shell's terminal follows the browser's
    page.screenshot(path=str(ARTIFACTS / "pod-terminal.png"))

    _run(page, "exit 3")
    expect(page.get_by_test_id("terminal-state")).to_have_text("The shell exited with code 3.")

    # The project's activity has the session (who, pod, container), not what was typed.
    def both() -> list[Action] | None:
        found = list(Action.objects.filter(project=project, kind="pod.terminal"))
        return found if len(found) == 2 else None

    records = wait_for(both, message="the session opened and closed in the activity")
    messages = sorted(r.message for r in records)
    assert messages[0].startswith(f"Closed the terminal in pod {pod}, container app after ")
    assert messages[1] == f"Opened a terminal in pod {pod}, container app."
    assert all(r.requested_by_name == "alice" and "42" not in r.message for r in records)


def test_a_viewer_has_no_terminal_and_the_cluster_refuses_them_too(
    page, terminal_server, running_app, people
):
    project, pod = running_app
    log_in(page, terminal_server, "carol", PASSWORD)
    page.goto(f"{terminal_server}/projects/{project}/pods/{pod}/")
    expect(page.get_by_test_id("pod-name")).to_have_text(pod)
    expect(page.get_by_test_id("open-terminal")).to_have_count(0)
    response = page.goto(f"{terminal_server}/projects/{project}/pods/{pod}/terminal/")
    assert response.status == 403
    # Not only Berth: asked as carol, the cluster itself refuses (no create pods/exec).
    carol = make_identity("carol", ["qa"])
    opening = cluster_workloads.pod_shell_open(carol, namespace=project, pod=pod, container="app")
    with pytest.raises(Forbidden, match="pods/exec"), ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, opening).result()  # this thread runs Playwright's loop


def test_a_removed_members_terminal_closes(page, terminal_server, running_app, people, admin_client):
    project, pod = running_app
    log_in(page, terminal_server, "bob", PASSWORD)
    _open(page, terminal_server, project, pod, from_deployment=True)
    _run(page, "echo $((6*7))")
    expect(page.locator(".xterm-rows")).to_contain_text("42")
    rbac = client.RbacAuthorizationV1Api(admin_client)
    for binding in rbac.list_namespaced_role_binding(project).items:
        if any(s.name == "bob" for s in binding.subjects or []):
            rbac.delete_namespaced_role_binding(binding.metadata.name, project)
    expect(page.get_by_test_id("terminal")).to_have_attribute("data-status", "closed", timeout=45_000)
    expect(page.get_by_test_id("terminal-state")).to_contain_text("You no longer have access")


@pytest.fixture(scope="module")
def impatient_server(django_db_setup, redis_url, berth_cluster, real_node):
    with running_asgi_server(redis_url, name="asgi-server-idle", BERTH_TERMINAL_IDLE_SECONDS="3") as url:
        yield url


def test_an_idle_terminal_closes_and_says_so(page, impatient_server, running_app, people):
    project, pod = running_app
    log_in(page, impatient_server, "alice", PASSWORD)
    _open(page, impatient_server, project, pod)
    expect(page.get_by_test_id("terminal-state")).to_have_text(
        "Closed after 3 seconds without a keystroke.", timeout=20_000
    )
