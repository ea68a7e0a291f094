"""100 websocket drops during a 1,000 lines/s build log: every viewer's lines equal the
stored lines, none doubled.

Five viewers (websocket clients of Berth's real ASGI server, as the browser's page is)
follow one build's log; each drops its connection 20 times at a random point — the TCP
connection cut, no close frame, as a laptop's lid or a proxy does — and reconnects from
the last line it has (`?after=<seq>`, what the page does). The build's log is the
kwok-served pod log the worker follows, 1,000 lines a second.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import Counter

import pytest
import websockets

from builds.models import Build
from console.ansi import ansi_to_html
from tests.cluster.test_builds import FLASK_APP, finished, git_repo, make_config, start, stored
from tests.helpers import bind, session_cookie
from tests.reliability.conftest import record

pytestmark = pytest.mark.django_db(transaction=True)

VIEWERS = 5
DROPS = int(os.environ.get("RELIABILITY_DROPS", "100"))
RATE = 1000


async def _follow(url: str, headers: dict, drops: int, rng: random.Random, out: dict) -> None:
    """Follow the log to its end, dropping the connection ``drops`` times on the way."""
    received: list[list] = []
    out.update(received=received, drops=0, dropped_at=[], connections=0)
    while True:
        after = received[-1][0] if received else 0
        connection = await websockets.connect(
            f"{url}?after={after}", additional_headers=headers, max_size=None
        )
        out["connections"] += 1
        budget = rng.randint(20, 600) if out["drops"] < drops else None
        got = 0
        try:
            async for raw in connection:
                message = json.loads(raw)
                received.extend(message.get("lines", []))
                got += len(message.get("lines", []))
                status = message.get("status")
                if status and status["finished"]:
                    out["status"] = status["status"]
                    await connection.close()
                    return
                if budget is not None and got >= budget:
                    connection.transport.abort()  # cut: no close frame, unread frames lost
                    out["drops"] += 1
                    out["dropped_at"].append(time.time())
                    break
        except websockets.ConnectionClosed:
            pass  # the server closed it: reconnect the same way
        await asyncio.sleep(rng.uniform(0, 0.3))


@pytest.mark.timeout(15 * 60)
def test_a_hundred_websocket_drops_lose_and_double_no_line(
    people, make_project, admin_client, asgi_server, celery_worker, tmp_path, settings
):
    settings.BERTH_BUILD_SIMULATION_RATE = RATE
    settings.BERTH_BUILD_SIMULATION_EXTRA_LINES = 30 * RATE  # about 30 s of log
    project = make_project(people["alice"])
    bind(admin_client, project, "view", user="bob")
    config = make_config(people["alice"], project, git_repo(tmp_path / "repo", FLASK_APP))
    build = start(people["alice"], config)
    headers = {"Cookie": session_cookie(people["bob"]).decode(), "Origin": asgi_server}
    url = asgi_server.replace("http://", "ws://") + f"/ws/builds/{build.pk}/"
    rng = random.Random(int(os.environ.get("RELIABILITY_SEED", "7")))  # noqa: S311 - not secrets
    outs: list[dict] = [{} for _ in range(VIEWERS)]

    async def watch() -> None:
        each = DROPS // VIEWERS
        await asyncio.gather(*(_follow(url, headers, each, random.Random(rng.random()), out) for out in outs))  # noqa: S311

    asyncio.run(watch())
    build = finished(Build.objects.get(pk=build.pk), timeout=120)
    rows = [[seq, ansi_to_html(text)] for seq, text in stored(build)]
    doubled = sum(sum(n - 1 for n in Counter(seq for seq, _ in out["received"]).values()) for out in outs)
    missing = sum(len({seq for seq, _ in rows} - {seq for seq, _ in out["received"]}) for out in outs)
    seconds = (build.finished_at - build.started_at).total_seconds()
    record(
        "websocket drops during a build log",
        {
            "viewers": VIEWERS,
            "drops": sum(out["drops"] for out in outs),
            "drops while the build ran": sum(
                t < build.finished_at.timestamp() for out in outs for t in out["dropped_at"]
            ),
            "connections": sum(out["connections"] for out in outs),
            "lines stored": len(rows),
            "lines per second written": round(len(rows) / seconds),
            "viewers with exactly the stored lines": sum(out["received"] == rows for out in outs),
            "lines doubled": doubled,
            "lines missing": missing,
        },
    )
    assert build.status == "Complete"
    assert all(out["status"] == "Complete" for out in outs)
    assert sum(out["drops"] for out in outs) == DROPS // VIEWERS * VIEWERS
    assert doubled == 0 and missing == 0
    assert all(out["received"] == rows for out in outs)
