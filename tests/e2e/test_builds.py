"""A build in a real Chromium: create a config, start it, watch the log arrive live,
see the status turn Complete — without reloading the page."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from builds.models import Build, BuildLogLine
from tests.cluster.test_builds import FLASK_APP, git_repo
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_start_a_build_and_watch_it_live(
    page, asgi_server, celery_worker, people, make_project, tmp_path, settings
):
    settings.BERTH_BUILD_SIMULATION_RATE = 20
    settings.BERTH_BUILD_SIMULATION_EXTRA_LINES = 80  # about five seconds of output
    project = make_project(people["alice"])
    url = git_repo(tmp_path / "repo", FLASK_APP)

    log_in(page, asgi_server, "alice", PASSWORD)
    page.goto(f"{asgi_server}/projects/{project}/builds/")
    page.get_by_test_id("new-build-config").click()
    page.fill("input[name=name]", "web")
    page.fill("input[name=git_uri]", "github.com/no-scheme")
    page.get_by_test_id("save-build-config").click()
    expect(page.get_by_test_id("error-git_uri")).to_contain_text("not a Git repository")
    page.fill("input[name=git_uri]", url)
    page.fill("input[name=git_ref]", "main")
    page.get_by_test_id("save-build-config").click()
    expect(page.get_by_test_id("config-name")).to_have_text("web")
    # The worker reads the source; the page shows the plan when it is known, by itself.
    expect(page.get_by_test_id("plan-summary")).to_contain_text("will run: gunicorn wsgi", timeout=30_000)
    page.reload()  # the rest of the plan's details come with the page
    expect(page.get_by_test_id("dependencies")).to_contain_text(
        "installed once, then reused while requirements.txt and the builder image stay the same"
    )
    page.screenshot(path=str(ARTIFACTS / "builds-config.png"), full_page=True)

    page.get_by_test_id("start-build").click()
    expect(page.get_by_test_id("build-name")).to_contain_text("web-1")
    page.evaluate("window.__sameDocument = true")
    lines = page.locator("#build-log .berth-log-line")
    counts_while_running = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = page.get_by_test_id("build-status").get_attribute("data-status")
        if status == "Complete":
            break
        if status == "Running":
            counts_while_running.add(lines.count())
        time.sleep(0.3)
    # Lines arrived in several steps while the build ran: a live stream, not a reload.
    assert len({c for c in counts_while_running if c > 0}) >= 3, counts_while_running
    expect(page.get_by_test_id("build-status")).to_have_attribute("data-status", "Complete", timeout=30_000)
    expect(page.get_by_test_id("build-status")).to_contain_text("Complete")
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    build = Build.objects.get(config__project=project, number=1)
    stored = BuildLogLine.objects.filter(build=build).count()
    expect(lines).to_have_count(stored)
    expect(page.locator("#L1 .berth-log-text")).to_contain_text("Reading file://")
    expect(page.locator("#build-log .ansi-fg-cyan").first).to_be_visible()
    assert page.get_by_test_id("cancel-build").count() == 0
    expect(page.locator("#build-finished")).to_contain_text("finished")
    page.screenshot(path=str(ARTIFACTS / "builds-complete.png"), full_page=True)

    # A shared line link opens at that line.
    page.goto(f"{asgi_server}/projects/{project}/builds/web/1/#L5")
    expect(page.locator("#L5")).to_have_class("berth-log-line berth-log-target")
    expect(page.get_by_test_id("resume-follow")).to_be_visible()
