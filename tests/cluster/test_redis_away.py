"""Berth's web process with its Redis away (stopped, restarting): pages still answer, a
form keeps what the person asked for, sockets close quietly for the page to retry, a
webhook says to deliver again — and no traceback in its log.

The real server (uvicorn, as `make dev` runs it) on the real control plane, pointed at a
Redis address where nothing listens. (tests/reliability/test_redis_restart.py restarts a
real Redis under a live page and a worker, and measures the resumption.)
"""

from __future__ import annotations

import asyncio

import pytest
import requests
import websockets

from actions.models import Action
from actions.services import QUEUE_AWAY
from builds.models import BuildConfig
from tests.conftest import running_asgi_server
from tests.helpers import ARTIFACTS, make_deployment, session_cookie
from tools.services import free_port

pytestmark = pytest.mark.django_db(transaction=True)


async def _close_code(url: str, headers: dict) -> int | None:
    """How the server ends a socket: the close code, or None if it refused the handshake."""
    try:
        async with websockets.connect(url, additional_headers=headers, open_timeout=10) as socket:
            await asyncio.wait_for(socket.recv(), timeout=10)
    except websockets.InvalidStatus:
        return None
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError(f"{url} stayed open")


def test_with_redis_away_nothing_asked_for_is_lost_and_nothing_crashes(
    people, make_project, admin_client, berth_cluster
):
    alice = people["alice"]
    project = make_project(alice)
    make_deployment(admin_client, project, image="web:1")
    away = f"redis://:nobody@127.0.0.1:{free_port()}/0"
    web = berth_cluster.plane.env()["KUBECONFIG_WEB"]
    with running_asgi_server(away, name="asgi-no-redis", KUBECONFIG=web) as server:
        browser = requests.Session()
        name, value = session_cookie(alice).decode().split("=", 1)
        browser.cookies.set(name, value)
        page = browser.get(f"{server}/projects/{project}/deployments/web/", timeout=30)
        assert page.status_code == 200
        # (After the first page: Berth has then tied the project's data to its namespace.)
        config = BuildConfig.objects.create(
            project=project,
            name="web",
            git_uri="https://git.example.org/shop.git",
            generic_secret="s3cret",
            output_image="web",
            updated_by=alice,
        )
        answer = browser.post(
            f"{server}/projects/{project}/deployments/web/scale/",
            data={"replicas": "2"},
            headers={"X-CSRFToken": browser.cookies["csrftoken"], "Origin": server},
            timeout=30,
        )
        assert answer.status_code in (200, 302), answer.text[:300]
        action = Action.objects.get(kind="deployment.scale", project=project)
        assert action.state == Action.State.QUEUED and action.message == QUEUE_AWAY
        shown = browser.get(f"{server}/actions/{action.pk}/", timeout=30)
        assert shown.status_code == 200 and "not answering" in shown.text

        headers = {"Cookie": f"{name}={value}", "Origin": server}
        sockets = server.replace("http://", "ws://")
        for path in (f"/ws/actions/{action.pk}/", f"/ws/projects/{project}/pods/"):
            # Closed (or refused) with "try again later" or a failed handshake: the page
            # retries, unlike Berth's own 44xx refusals.
            assert asyncio.run(_close_code(sockets + path, headers)) in (None, 1013), path

        hook = requests.post(
            f"{server}/webhooks/{project}/web/generic/",
            headers={"X-Berth-Webhook-Secret": config.generic_secret},
            timeout=30,
        )
        assert hook.status_code == 503 and "deliver this again later" in hook.json()["message"]
    log = (ARTIFACTS / "asgi-no-redis.log").read_text()
    assert "Traceback" not in log and "Exception in ASGI application" not in log
    assert "Redis is not answering" in log and "stays queued" in log
