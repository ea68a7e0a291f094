"""Projects in a real Chromium against the real cluster and a real worker."""

from __future__ import annotations

import contextlib
import re

import pytest
from kubernetes import client
from playwright.sync_api import expect

from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_out(page) -> None:
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def test_alice_creates_bob_views_carol_sees_nothing(page, asgi_server, celery_worker, people, admin_client):
    name = unique_name("shop")
    try:
        log_in(page, asgi_server, "alice", PASSWORD)
        page.get_by_test_id("create-project").click()
        page.fill("input[name=name]", name)
        page.fill("input[name=display_name]", "The Shop")
        page.select_option("select[name=quota]", "small")
        page.get_by_role("button", name="Create").click()
        # The action page follows the action live, then lands on the project.
        expect(page).to_have_url(re.compile(rf"/projects/{name}/$"), timeout=60_000)
        expect(page.get_by_test_id("project-title")).to_have_text("The Shop")
        expect(page.get_by_test_id("project-role")).to_have_text("admin")
        expect(page.get_by_test_id("quota-pods")).to_contain_text("0 / 10")
        page.screenshot(path=str(ARTIFACTS / "projects-overview.png"), full_page=True)

        page.goto(f"{asgi_server}/projects/{name}/members/")
        form = page.get_by_test_id("add-member")
        form.locator("input[name=name]").fill("bob")
        form.locator("select[name=role]").select_option("view")
        form.get_by_role("button", name="Add").click()
        # Back on the members page by itself once the change is made, with bob on it.
        expect(page).to_have_url(re.compile(rf"/projects/{name}/members/$"), timeout=60_000)
        expect(page.locator("[data-member='User:bob'] [data-testid=member-role]")).to_have_text("view")
        page.screenshot(path=str(ARTIFACTS / "projects-members.png"), full_page=True)
        log_out(page)

        log_in(page, asgi_server, "bob", PASSWORD)
        row = page.locator(f"[data-project='{name}']")
        expect(row.get_by_test_id("my-role")).to_have_text("view")
        row.get_by_role("link", name=name).click()
        expect(page.get_by_test_id("project-role")).to_have_text("view")
        expect(page.get_by_test_id("delete-project")).to_have_count(0)
        page.goto(f"{asgi_server}/projects/{name}/members/")
        expect(page.get_by_test_id("add-member")).to_have_count(0)
        expect(page.get_by_role("button", name="Change role")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "projects-bob-readonly.png"), full_page=True)
        log_out(page)

        log_in(page, asgi_server, "carol", PASSWORD)
        expect(page.get_by_test_id("no-projects")).to_be_visible()
        response = page.goto(f"{asgi_server}/projects/{name}/")
        assert response.status == 404
    finally:
        with contextlib.suppress(client.exceptions.ApiException):
            client.CoreV1Api(admin_client).delete_namespace(name)
