"""A live page kept open for an hour in Chromium stays on the one websocket it opened.

The deployment's page holds two: the live table (fed by the cluster's watch) and, after a
scale asked for on the page, that action's status (fed through Redis, the channel layer),
which then stays idle — what dropped sockets before: Redis read timeouts in channels'
receive loop every ~5 s, and the page quietly reconnected. Every minute the deployment is
scaled outside Berth and the page must show it, through the same socket, without a
reload. RELIABILITY_SOCKET_SECONDS shortens the hour for a quick look.
"""

from __future__ import annotations

import os
import statistics
import time

import pytest
from kubernetes import client
from playwright.sync_api import expect

from tests.e2e.test_skeleton import log_in
from tests.helpers import PASSWORD, make_deployment, revision, wait_for
from tests.reliability.conftest import record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECONDS = int(os.environ.get("RELIABILITY_SOCKET_SECONDS", "3600"))
EVERY = 60.0


@pytest.mark.timeout(SECONDS + 900)
def test_a_live_page_stays_on_one_websocket_for_an_hour(
    page, asgi_server, celery_worker, people, make_project, admin_client
):
    project = make_project(people["alice"])
    make_deployment(admin_client, project, image="web:1")
    wait_for(lambda: revision(admin_client, project, "web") == "1", message="revision 1")
    apps = client.AppsV1Api(admin_client)

    opened: list[str] = []
    closed: list[str] = []

    def on_socket(socket) -> None:
        opened.append(socket.url)
        socket.on("close", lambda s: closed.append(s.url))

    page.on("websocket", on_socket)
    log_in(page, asgi_server, "alice", PASSWORD)
    page.goto(f"{asgi_server}/projects/{project}/deployments/web/")
    expect(page.get_by_test_id("desired-replicas")).to_have_text("1", timeout=30_000)
    page.evaluate("window.__sameDocument = true")
    page.get_by_test_id("replicas-input").fill("2")
    page.get_by_test_id("replicas-input").press("Enter")
    status = page.locator("#deployment-action [data-testid=action-status]")
    expect(status).to_have_attribute("data-state", "succeeded", timeout=60_000)
    assert len(opened) == 2 and any("/ws/actions/" in url for url in opened), opened

    replicas, delays = 2, []
    started = time.monotonic()
    while time.monotonic() - started < SECONDS:
        page.wait_for_timeout(EVERY * 1000)  # idle: Playwright keeps serving the page's events
        replicas = 2 if replicas == 1 else 1
        asked = time.monotonic()
        apps.patch_namespaced_deployment_scale("web", project, {"spec": {"replicas": replicas}})
        expect(page.get_by_test_id("desired-replicas")).to_have_text(str(replicas), timeout=30_000)
        delays.append(time.monotonic() - asked)

    kept = time.monotonic() - started
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    record(
        "one socket for an hour",
        {
            "seconds": round(kept),
            "changes shown": len(delays),
            "sockets opened": len(opened),
            "sockets closed": len(closed),
            "change to page p50 s": round(statistics.median(delays), 2) if delays else None,
            "change to page max s": round(max(delays), 2) if delays else None,
        },
    )
    assert closed == [], f"the page's socket closed: {closed}"
    assert len(opened) == 2, f"the page opened {len(opened)} sockets: {opened}"
    assert len(delays) >= SECONDS // EVERY - 1
