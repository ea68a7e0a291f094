"""A Secret in a real Chromium: made from the form, its value hidden until revealed, the
reveal in the project's activity."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_create_a_secret_reveal_it_and_find_the_reveal_in_the_activity(
    page, asgi_server, celery_worker, people, make_project
):
    project = make_project(people["alice"])
    log_in(page, asgi_server, "alice", PASSWORD)
    page.goto(f"{asgi_server}/projects/{project}/")
    page.keyboard.press("g")
    page.keyboard.press("c")
    expect(page).to_have_url(re.compile(rf"/projects/{project}/config/$"))
    page.get_by_test_id("new-secret").click()
    page.fill("input[name=name]", "db")
    page.fill("input[name=key]", "PASSWORD")
    page.fill("textarea[name=value]", "correct horse")
    page.get_by_test_id("config-create-submit").click()
    # The action, then the Secret's page by itself: its key, not its value.
    expect(page.get_by_test_id("config-name")).to_have_text("Secret db", timeout=30_000)
    expect(page.get_by_test_id("config-keys")).to_contain_text("PASSWORD")
    expect(page.locator("body")).not_to_contain_text("correct horse")
    page.get_by_test_id("reveal").click()
    expect(page.get_by_test_id("revealed")).to_have_text("correct horse")
    page.screenshot(path=str(ARTIFACTS / "configs-secret-revealed.png"), full_page=True)
    page.goto(f"{asgi_server}/projects/{project}/activity/")
    expect(page.locator("body")).to_contain_text("alice revealed the value of PASSWORD in the Secret db.")

    # Deleting asks first (a data-confirm form, no inline handler under the CSP):
    # dismissed, nothing goes; accepted, the Secret goes.
    violations = []
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and violations.append(message)
    )
    page.goto(f"{asgi_server}/projects/{project}/config/secret/db/")
    questions = []

    def answer(accept: bool):
        def handle(dialog):
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.get_by_test_id("delete-config").click()
    expect(page.get_by_test_id("config-name")).to_have_text("Secret db")
    assert questions == ["Delete Secret db? Pods that use it keep what they read; new ones fail to start."]
    page.once("dialog", answer(True))
    page.get_by_test_id("delete-config").click()
    expect(page.locator("body")).to_contain_text("No Secrets.", timeout=30_000)
    assert violations == []
