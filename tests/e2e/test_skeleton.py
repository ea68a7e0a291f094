"""The skeleton in a real Chromium: log in, projects page, a live action, log out."""

from __future__ import annotations

import re
import threading

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from actions import services
from actions.models import Action
from actions.tasks import action_task
from tests.helpers import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

release = threading.Event()


@action_task("test.wait_for_release")
def _wait_for_release(action: Action) -> str:
    services.action_update(action=action, progress=30, message="waiting for the test")
    if not release.wait(timeout=60):
        raise TimeoutError("the test never released the action")
    return "released"


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_login_live_action_logout(page, asgi_server, celery_worker):
    user = get_user_model().objects.create_user("dora", password="correct horse battery")

    log_in(page, asgi_server, "dora", "wrong")
    expect(page.get_by_test_id("login-error")).to_contain_text("do not match")

    log_in(page, asgi_server, "dora", "correct horse battery")
    expect(page).to_have_url(re.compile(r"/projects/$"))
    expect(page.get_by_test_id("no-projects")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_text("dora")
    page.screenshot(path=str(ARTIFACTS / "skeleton-projects.png"), full_page=True)

    release.clear()
    action = services.action_start(kind="test.wait_for_release", user=user)
    page.goto(f"{asgi_server}/actions/{action.pk}/")
    page.evaluate("window.__sameDocument = true")
    expect(page.get_by_test_id("action-state")).to_have_text("Running", timeout=20_000)
    expect(page.get_by_test_id("action-message")).to_have_text("waiting for the test")
    page.screenshot(path=str(ARTIFACTS / "skeleton-action-running.png"), full_page=True)

    release.set()
    expect(page.get_by_test_id("action-state")).to_have_text("Succeeded", timeout=20_000)
    expect(page.get_by_test_id("action-message")).to_have_text("released")
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded instead of updating live"
    page.screenshot(path=str(ARTIFACTS / "skeleton-action-succeeded.png"), full_page=True)

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto(f"{asgi_server}/projects/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/projects/$"))


def test_someone_elses_action_is_not_found(page, asgi_server, celery_worker):
    users = get_user_model().objects
    owner = users.create_user("bob", password="x-unused-password")
    users.create_user("carol", password="correct horse battery")
    release.set()
    action = services.action_start(kind="test.wait_for_release", user=owner)
    log_in(page, asgi_server, "carol", "correct horse battery")
    expect(page).to_have_url(re.compile(r"/projects/$"))
    response = page.goto(f"{asgi_server}/actions/{action.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
