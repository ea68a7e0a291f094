"""Redis restarted under a live page and a worker: both go on or resume by themselves.

A redis-server of the test's own (the others' queues stay out of it) serves Berth's ASGI
server and an actions worker, each its own process as `make dev` runs them. A person has
a deployment's live page open in Chromium. Redis is stopped for OUTAGE seconds and started
again empty (no persistence, as the Redis `make dev` runs): the events, the queued messages
and the socket counts it held are gone. Asked: a scale asked for meanwhile is kept and
done once Redis is back; the live table follows the cluster throughout; a new action's
progress shows again; nobody reloads anything, and no process is restarted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time

import pytest
from django.conf import settings as django_settings
from kubernetes import client
from playwright.sync_api import expect

from actions.models import Action
from tests.conftest import running_asgi_server
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, make_deployment, revision, wait_for
from tests.reliability.conftest import record
from tests.reliability.test_worker_kill import _worker
from tools.services import free_port, redis_server, stop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUTAGE = float(os.environ.get("RELIABILITY_OUTAGE_SECONDS", "30"))
ORPHAN_SECONDS = 10  # a message Redis lost is sent again after this (60 s by default)


def _scale_on_the_page(page, replicas: int) -> None:
    page.get_by_test_id("replicas-input").fill(str(replicas))
    page.get_by_test_id("replicas-input").press("Enter")


@pytest.mark.timeout(10 * 60)
def test_a_redis_restart_is_survived_by_live_pages_and_the_worker(
    people, make_project, admin_client, berth_cluster, page
):
    project = make_project(people["alice"])
    make_deployment(admin_client, project, image="web:1")
    wait_for(lambda: revision(admin_client, project, "web") == "1", message="revision 1")
    apps = client.AppsV1Api(admin_client)
    port, password = free_port(), secrets.token_urlsafe(16)
    plane = berth_cluster.plane.env()
    redis = redis_server(port, password)
    url = redis.__enter__()
    env = {
        **os.environ,
        "BERTH_MODE": "test",
        "DJANGO_SETTINGS_MODULE": "console.settings_test",
        "DATABASE_URL": f"sqlite:///{django_settings.DATABASES['default']['NAME']}",
        "REDIS_URL": url,
        "KUBECONFIG": plane["KUBECONFIG_ACTIONS"],
        "SECRET_KEY": django_settings.SECRET_KEY,
        "BERTH_ACTION_ORPHAN_SECONDS": str(ORPHAN_SECONDS),
    }
    worker = _worker(env, 0)
    try:
        with running_asgi_server(url, name="asgi-redis", KUBECONFIG=plane["KUBECONFIG_WEB"]) as server:
            log_in(page, server, "alice", PASSWORD)
            page.goto(f"{server}/projects/{project}/deployments/web/")
            expect(page.get_by_test_id("desired-replicas")).to_have_text("1", timeout=30_000)
            page.evaluate("window.__sameDocument = true")
            status = page.locator("#deployment-action [data-testid=action-status]")
            _scale_on_the_page(page, 2)  # before: the whole path works
            expect(status).to_have_attribute("data-state", "succeeded", timeout=60_000)

            redis.__exit__(None, None, None)
            stopped = time.monotonic()
            _scale_on_the_page(page, 3)  # asked for while Redis is away
            asked = wait_for(
                lambda: Action.objects.filter(kind="deployment.scale", parameters__replicas=3).first(),
                timeout=60,
                message="the scale asked for meanwhile to be kept",
            )
            page.screenshot(path=str(ARTIFACTS / "redis-away.png"), full_page=True)
            # The live table follows the cluster's watch, not Redis: it goes on meanwhile.
            changed = time.monotonic()
            apps.patch_namespaced_deployment_scale("web", project, {"spec": {"replicas": 4}})
            expect(page.get_by_test_id("desired-replicas")).to_have_text("4", timeout=30_000)
            followed_after = time.monotonic() - changed
            time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))

            redis = redis_server(port, password)
            redis.__enter__()
            back = time.monotonic()
            done = wait_for(
                lambda: Action.objects.filter(pk=asked.pk, state__in=("succeeded", "failed")).first(),
                timeout=ORPHAN_SECONDS * 6,
                message="the scale asked for meanwhile to end",
            )
            done_after = time.monotonic() - back
            expect(page.get_by_test_id("desired-replicas")).to_have_text("3", timeout=30_000)
            # A new action's progress shows again (its socket is Redis's: the page retried it).
            clicked = time.monotonic()
            _scale_on_the_page(page, 2)
            expect(status).to_have_attribute("data-state", "succeeded", timeout=60_000)
            shown_after = time.monotonic() - clicked
            same_document = page.evaluate("window.__sameDocument === true")
            log_text = (ARTIFACTS / "asgi-redis.log").read_text()
    finally:
        stop(worker)
        with contextlib.suppress(Exception):
            redis.__exit__(None, None, None)

    worker_log = (ARTIFACTS / "reliability-worker-0.log").read_text()
    record(
        "Redis restarted",
        {
            "outage seconds": OUTAGE,
            "scale asked for meanwhile": f"{done.state}: {done.message}",
            "it ended after Redis's return s": round(done_after, 1),
            "live table followed a change during the outage after s": round(followed_after, 1),
            "a new action after the return: click to Succeeded shown s": round(shown_after, 1),
            "tracebacks in the web log": log_text.count("Traceback"),
            "tracebacks in the worker log": worker_log.count("Traceback"),
        },
    )
    assert done.state == "succeeded", done.message
    assert "Traceback" not in log_text and "Traceback" not in worker_log
    assert same_document, "the page reloaded"
    assert Action.objects.filter(kind="deployment.scale").count() == 3  # each once
