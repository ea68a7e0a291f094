"""Scaling and rolling back in a real Chromium; the page updates live, never reloads."""

from __future__ import annotations

import re

import pytest
from kubernetes import client
from playwright.sync_api import expect

from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, make_deployment, revision, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_scale_up_twice_then_roll_back(page, asgi_server, celery_worker, people, make_project, admin_client):
    project = make_project(people["alice"])
    make_deployment(admin_client, project, image="web:1")
    wait_for(lambda: revision(admin_client, project, "web") == "1", message="revision 1")
    client.AppsV1Api(admin_client).patch_namespaced_deployment(
        "web", project, {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}
    )
    wait_for(lambda: revision(admin_client, project, "web") == "2", message="revision 2")

    log_in(page, asgi_server, "alice", PASSWORD)
    page.goto(f"{asgi_server}/projects/{project}/deployments/web/")
    page.evaluate("window.__sameDocument = true")
    expect(page.get_by_test_id("ready-replicas")).to_have_text("1", timeout=30_000)
    page.get_by_test_id("scale-up").click()
    page.get_by_test_id("scale-up").click()
    expect(page.get_by_test_id("replicas-input")).to_have_value("3")
    expect(page.get_by_test_id("desired-replicas")).to_have_text("3", timeout=30_000)
    expect(page.get_by_test_id("ready-replicas")).to_have_text("3", timeout=60_000)
    expect(page.locator("[data-testid=pod-row][data-status=Running]")).to_have_count(3)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    page.screenshot(path=str(ARTIFACTS / "workloads-scaled.png"), full_page=True)

    expect(page.get_by_test_id("deployment-images")).to_have_text("web:2")
    page.get_by_test_id("rollback-1").click()
    expect(page.get_by_test_id("rollback-diff")).to_contain_text("web:1")
    page.screenshot(path=str(ARTIFACTS / "workloads-rollback-preview.png"), full_page=True)
    page.get_by_test_id("confirm-rollback").click()
    expect(page.get_by_test_id("deployment-images")).to_have_text("web:1", timeout=30_000)
    expect(page.get_by_test_id("current-revision")).to_have_text("3", timeout=30_000)
    # The history follows by itself: the new revision is current, the others offer a rollback.
    expect(page.locator("[data-testid=revision-row][data-current]")).to_have_attribute("data-revision", "3")
    expect(page.get_by_test_id("rollback-2")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "workloads-rolled-back.png"), full_page=True)
    page.evaluate("window.__sameDocument = true")

    # Pause and resume: the button follows the deployment, without a reload.
    page.get_by_test_id("pause").click()
    expect(page.get_by_test_id("paused")).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    # A rollback of a paused deployment: Berth refuses it on the deployment's page, in the project.
    page.get_by_test_id("rollback-2").click()
    expect(page.get_by_text("Berth refused the rollback: web is paused")).to_be_visible()
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text(project)
    assert page.url.endswith(f"/projects/{project}/deployments/web/")
    page.screenshot(path=str(ARTIFACTS / "workloads-rollback-refused.png"), full_page=True)
    page.evaluate("window.__sameDocument = true")
    page.get_by_test_id("resume").click()
    expect(page.get_by_test_id("pause")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("paused")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"

    # Past the project's quota (4 pods of 500m in 2 CPUs): the action fails, in the quota's words.
    page.get_by_test_id("replicas-input").fill("6")
    page.get_by_test_id("replicas-input").press("Enter")
    status = page.locator("#deployment-action [data-testid=action-status]")
    expect(status).to_have_attribute("data-state", "failed", timeout=60_000)
    expect(status.get_by_test_id("action-message")).to_contain_text("exceeded quota")
    expect(status.get_by_test_id("action-message")).to_contain_text("4 of 6 pods ready")
    page.screenshot(path=str(ARTIFACTS / "workloads-past-quota.png"), full_page=True)


def test_edit_an_image_through_the_preview_and_see_the_rollout_finish(
    page, asgi_server, celery_worker, people, make_project, admin_client
):
    project = make_project(people["alice"])
    make_deployment(admin_client, project, image="web:1")
    log_in(page, asgi_server, "alice", PASSWORD)
    page.goto(f"{asgi_server}/projects/{project}/deployments/web/")
    # Where am I: breadcrumbs, and the project's sections in the sidebar (this one current).
    crumbs = page.get_by_test_id("breadcrumbs")
    expect(crumbs.get_by_role("link")).to_have_text(["Projects", project, "Deployments"])
    expect(crumbs.locator("[aria-current=page]")).to_have_text("web")
    expect(page.get_by_test_id("project-nav").locator(".pf-m-current")).to_have_text("Deployments")
    # Keyboard: "?" lists the shortcuts, "g p" goes to the pods.
    page.keyboard.press("?")
    expect(page.get_by_test_id("shortcuts-help")).to_contain_text("Pods")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("shortcuts-help")).to_have_count(0)
    page.keyboard.press("g")
    page.keyboard.press("p")
    expect(page).to_have_url(re.compile(rf"/projects/{project}/pods/$"))
    page.go_back()
    page.get_by_test_id("edit-deployment").click()
    page.fill("input[name=image]", "web:2")
    page.get_by_test_id("edit-preview").click()
    diff = page.get_by_test_id("edit-diff")
    expect(diff).to_contain_text("web:1")
    expect(diff).to_contain_text("web:2")
    page.screenshot(path=str(ARTIFACTS / "workloads-edit-preview.png"), full_page=True)
    page.get_by_test_id("edit-apply").click()
    # The action follows the rollout, then lands back on the deployment, which runs web:2.
    expect(page.get_by_test_id("deployment-images")).to_have_text("web:2", timeout=60_000)
    expect(page.get_by_test_id("ready-replicas")).to_have_text("1")
    wait_for(lambda: revision(admin_client, project, "web") == "2", message="revision 2")


def test_a_pod_log_page_says_why_it_stopped_following(
    page, berth_cluster, redis_url, django_db_setup, people, make_project, admin_client, tmp_path
):
    """A socket Berth closes on purpose is said on the page (and not retried)."""
    from devcluster import logs
    from tests.conftest import running_asgi_server
    from tests.helpers import running_pods

    project = make_project(people["alice"])
    make_deployment(admin_client, project, name="logger")
    pod = wait_for(lambda: next(iter(running_pods(admin_client, project, "logger")), None), 60, 0.2, "a pod")
    logs.attach_pod_log(admin_client, project, pod, logs.write_lines(tmp_path / "app.log", ["ready"]))
    with running_asgi_server(redis_url, name="asgi-follow", BERTH_LOG_FOLLOW_SECONDS="3") as server:
        log_in(page, server, "alice", PASSWORD)
        page.goto(f"{server}/projects/{project}/pods/{pod}/")
        expect(page.get_by_test_id("log-lines")).to_contain_text("ready", timeout=20_000)
        expect(page.get_by_test_id("socket-closed")).to_have_text(
            "Stopped following after 3 seconds: reload to follow again.", timeout=20_000
        )
        page.screenshot(path=str(ARTIFACTS / "pod-log-stopped-following.png"), full_page=True)
