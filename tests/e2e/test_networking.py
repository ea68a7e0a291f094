"""Expose a deployment and create, attach and see a volume, in a real Chromium.

The route's URL is only looked at, never opened: nothing answers at that host.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.cluster.test_storage import persistent_volume, storage_class  # noqa: F401 - fixtures used below
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, make_deployment, revision, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def submit_and_follow(page, button: str, lands_on: str) -> None:
    """Submit, then from the action's page to where it leads: followed live, or by its
    Continue link when the action finished before the page's websocket connected."""
    page.evaluate("window.__formPage = true")
    page.get_by_test_id(button).click()
    target = re.compile(lands_on)

    def arrived() -> bool:
        if target.search(page.url) and not page.evaluate("window.__formPage === true"):
            return True
        follow = page.get_by_test_id("action-next")
        if "/actions/" in page.url and follow.count() and follow.is_visible():
            follow.click()
        return False

    wait_for(arrived, timeout=60, interval=0.5, message=f"the action to lead to {lands_on}")


def reload_until(page, locator, text: str, timeout: float = 30) -> None:
    """Volume pages are not live: reload until the cluster's state shows."""

    def shows() -> bool:
        if locator.count() and text in locator.first.inner_text():
            return True
        page.reload()
        return False

    wait_for(shows, timeout=timeout, interval=1, message=f"{text!r} on the page")


def test_expose_then_create_attach_a_volume(
    page,
    asgi_server,
    celery_worker,
    people,
    make_project,
    admin_client,
    storage_class,  # noqa: F811 - the fixture imported above
    persistent_volume,  # noqa: F811
    settings,
):
    project = make_project(people["alice"])
    make_deployment(admin_client, project)
    wait_for(lambda: revision(admin_client, project, "web") == "1", message="revision 1")
    persistent_volume(project, "data")
    log_in(page, asgi_server, "alice", PASSWORD)

    # Expose: one action makes the service and the route; the list shows the URL as a link.
    page.goto(f"{asgi_server}/projects/{project}/routes/")
    expect(page.get_by_test_id("no-routes")).to_be_visible()
    page.select_option("select[name=deployment]", "web")
    page.fill("input[name=port]", "8080")
    submit_and_follow(page, "expose-submit", rf"/projects/{project}/routes/$")
    url = f"http://web-{project}.{settings.BERTH_APPS_DOMAIN}"
    link = page.get_by_test_id("route-url")
    expect(link).to_have_text(url)
    expect(link).to_have_attribute("href", url)
    page.screenshot(path=str(ARTIFACTS / "networking-route-url.png"), full_page=True)
    page.get_by_role("link", name="web", exact=True).click()  # the service behind it
    expect(page.get_by_test_id("service-name")).to_have_text("web")
    expect(page.get_by_test_id("service-route")).to_contain_text(url)

    # Bad input stays on the form with the message at the field.
    page.goto(f"{asgi_server}/projects/{project}/volumes/")
    page.get_by_test_id("create-volume").click()
    page.fill("input[name=name]", "data")
    page.fill("input[name=size]", "a lot")
    page.get_by_test_id("volume-submit").click()
    expect(page.get_by_test_id("error-size")).to_contain_text("is not a size")

    # Create a volume; it binds to the volume made for it.
    page.fill("input[name=size]", "1Gi")
    page.select_option("select[name=storage_class]", storage_class)
    submit_and_follow(page, "volume-submit", rf"/projects/{project}/volumes/data/$")
    reload_until(page, page.get_by_test_id("volume-status"), "Bound")
    expect(page.get_by_test_id("volume-capacity")).to_have_text("1Gi")

    # Attach it: a new revision of the deployment rolls out.
    page.select_option("select[name=deployment]", "web")
    page.fill("input[name=mount_path]", "/var/lib/data")
    submit_and_follow(page, "attach-submit", rf"/projects/{project}/volumes/data/$")
    expect(page.get_by_test_id("mount-paths")).to_have_text("/var/lib/data")
    reload_until(page, page.get_by_test_id("mount-revision"), "2")
    page.screenshot(path=str(ARTIFACTS / "networking-volume-attached.png"), full_page=True)
    page.get_by_role("link", name="web", exact=True).click()
    expect(page.get_by_test_id("current-revision")).to_have_text("2", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "networking-new-revision.png"), full_page=True)
