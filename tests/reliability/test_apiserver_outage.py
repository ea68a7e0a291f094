"""The API server stopped and restarted under live pages and running actions.

On a private control plane (the shared one serves the other tests): Berth's ASGI server
and a worker point at it, two live pages are open in Chromium and scale actions run when
its kube-apiserver is stopped for OUTAGE seconds and started again. Asked: 0 tracebacks;
the live pages say the cluster is away, and resume within 10 s of its return; pages
opened and forms sent meanwhile answer readably; every action fails readably or finishes.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from kubernetes import client
from playwright.sync_api import expect

from actions.models import Action
from devcluster.placement import use_fake_nodes
from kube import identity_for_user
from kube.bootstrap import rbac_apply
from projects import cluster as cluster_projects
from tests.conftest import running_asgi_server
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, SMALL, make_deployment, signed_in, unique_name, wait_for
from tests.reliability.conftest import record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUTAGE = float(os.environ.get("RELIABILITY_OUTAGE_SECONDS", "30"))
AWAY = "Lost the connection to the cluster"


def _answers(admin: client.ApiClient) -> bool:
    try:
        client.VersionApi(admin).get_code(_request_timeout=2)
        return True
    except Exception:  # any failure means "not yet"
        return False


@pytest.mark.timeout(15 * 60)
def test_an_apiserver_outage_is_said_and_survived(
    private_plane, people, browser, page, redis_url, celery_worker, settings, caplog
):
    settings.BERTH_ACTION_ORPHAN_SECONDS = 600  # no takeover: the same worker lives through it
    rbac_apply()
    alice = people["alice"]
    project = unique_name()
    cluster_projects.project_create(
        identity_for_user(alice), name=project, display_name="", description="", quota=SMALL, action_id=0
    )
    admin = private_plane.admin_client()
    use_fake_nodes(client.CoreV1Api(admin), project)
    make_deployment(admin, project, image="web:1")
    apps = client.AppsV1Api(admin)
    wait_for(lambda: (apps.read_namespaced_deployment("web", project).status.ready_replicas or 0) == 1, 60)
    web = signed_in(alice)
    base = f"/projects/{project}"

    with running_asgi_server(redis_url, name="asgi-outage", KUBECONFIG=settings.KUBECONFIG) as server:
        log_in(page, server, "alice", PASSWORD)
        page.goto(f"{server}{base}/deployments/web/")
        pods = browser.new_page()
        pods.goto(f"{server}{base}/pods/")
        expect(page.get_by_test_id("desired-replicas")).to_have_text("1", timeout=30_000)
        expect(pods.locator("[data-testid=pod-row]")).to_have_count(1, timeout=30_000)
        for live in (page, pods):
            live.evaluate("window.__sameDocument = true")

        assert web.post(f"{base}/deployments/web/scale/", {"replicas": "2"}).status_code == 302
        during = Action.objects.latest("pk")
        private_plane.stop_components(["kube-apiserver"])
        stopped = time.monotonic()
        for live in (page, pods):
            expect(live.get_by_test_id("live-status")).to_contain_text(AWAY, timeout=30_000)
        said_after = time.monotonic() - stopped

        # Meanwhile: a page and a form answer that the cluster is away, and queue nothing.
        opened = browser.new_page()
        answer = opened.goto(f"{server}{base}/deployments/")
        answer_text = opened.content()
        refused = web.post(f"{base}/deployments/web/scale/", {"replicas": "3"})
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))

        restart = threading.Thread(target=private_plane.up, kwargs={"probe": False})
        restart.start()  # the whole plane comes back; its API server answers first
        wait_for(lambda: _answers(admin), timeout=120, interval=0.2, message="the API server to answer")
        back = time.monotonic()
        for live in (page, pods):
            expect(live.get_by_test_id("live-status")).not_to_contain_text(AWAY, timeout=30_000)
        resumed_after = time.monotonic() - back
        # Live for real: a change made after the return shows on both pages.
        assert web.post(f"{base}/deployments/web/scale/", {"replicas": "3"}).status_code == 302
        after = Action.objects.latest("pk")
        expect(page.get_by_test_id("desired-replicas")).to_have_text("3", timeout=60_000)
        expect(pods.locator("[data-testid=pod-row]")).to_have_count(3, timeout=60_000)
        shown_after = time.monotonic() - back
        restart.join()
        same_document = [live.evaluate("window.__sameDocument === true") for live in (page, pods)]
        opened.close()
        pods.close()

    final = {
        when: wait_for(
            lambda a=action: Action.objects.filter(pk=a.pk, state__in=("succeeded", "failed")).first(),
            timeout=180,
            message=f"action {action.pk} to end",
        )
        for when, action in (("queued as it stopped", during), ("queued after its return", after))
    }
    log_text = (ARTIFACTS / "asgi-outage.log").read_text()
    logged = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    record(
        "the API server stopped and restarted",
        {
            "outage seconds": OUTAGE,
            "pages said it after s": round(said_after, 1),
            "pages resumed after its return s": round(resumed_after, 1),
            "a change after the return shown after s": round(shown_after, 1),
            "page opened meanwhile": answer.status,
            "form sent meanwhile": refused.status_code,
            "actions": {when: f"{a.state}: {a.message}" for when, a in final.items()},
            "tracebacks in the web log": log_text.count("Traceback"),
            "tracebacks logged by the worker and views": len(logged),
        },
    )
    assert same_document == [True, True], "a live page reloaded"
    assert resumed_after <= 10
    assert answer.status == 503 and "The cluster is not answering" in answer_text
    assert refused.status_code == 503 and "The cluster is not answering" in refused.content.decode()
    assert Action.objects.filter(pk__gt=during.pk, pk__lt=after.pk).count() == 0  # nothing queued meanwhile
    assert final["queued after its return"].state == "succeeded", final["queued after its return"].message
    ended = final["queued as it stopped"]
    readable = "could not be reached" in ended.message and "Error" not in ended.message
    assert ended.state == "succeeded" or readable, ended.message
    assert "Traceback" not in log_text
    assert logged == []
