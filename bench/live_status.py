"""Live status under churn: pod changes → the pods page's websocket, many viewers at once.

The private devcluster of `bench.pods_page` (kwok's nodes; 3,000 pods in one project),
Berth's ASGI server (uvicorn, a process of its own, with a private redis-server and its
own database) and VIEWERS websocket clients on the pods page (first page, sorted by
name), in two processes of their own. This process changes CHANGES pod statuses a
second for SECONDS seconds, each a restart count no other change uses, on the pods the
viewers see (the worst case: every change is theirs to show), and notes when it wrote
each; each viewer notes when each count first reaches it.

Two runs, in the same run of the bench: renders shared by the viewers of one table
(Berth's way), and each viewer rendering its own (the baseline,
BERTH_LIVE_SHARED_RENDERS=0).

Run: `.venv/bin/python -m bench.live_status [PODS] [VIEWERS]` (3,000 and 100).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("BERTH_MODE", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
os.environ.setdefault("BERTH_DEVCLUSTER_DIR", "/tmp/berth-bench-plane")
os.environ.setdefault("BERTH_DEVCLUSTER_REAL_NODE", "0")
os.environ["BERTH_DATA_DIR"] = "/tmp/berth-bench-live"
from bench.common import (
    answers,
    cpu_seconds,
    django_against,
    percentile,
    private_plane,
    session_cookie,
    web_server,
)
from tests.helpers import wait_for

CHANGES = 50  # a second
SECONDS = 30
VISIBLE = 50  # the first page's pods
ROW = re.compile(r'data-pod="(pod-\d{5})".*?data-label="Restarts">(\d+)<', re.S)
FIRST_COUNT = 100_000  # restart counts the bench writes start here, above any kwok left


def watch(urls: list[str], cookie: str, origin: str, seconds: float) -> list[dict[int, float]]:
    """Each viewer's first arrival time of every restart count."""

    async def viewer(url: str, seen: dict[int, float]) -> None:
        import websockets

        async with websockets.connect(
            url, additional_headers={"Cookie": cookie, "Origin": origin}, max_size=None
        ) as ws:
            deadline = time.time() + seconds
            while (left := deadline - time.time()) > 0:
                try:
                    frame = await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    break
                now = time.time()
                for _pod, count in ROW.findall(frame):
                    seen.setdefault(int(count), now)

    seens: list[dict[int, float]] = [{} for _ in urls]

    async def run() -> None:
        await asyncio.gather(*(viewer(url, seen) for url, seen in zip(urls, seens, strict=True)))

    asyncio.run(run())
    return seens


def churn(core, first: int) -> dict[int, float]:
    """CHANGES restart counts a second for SECONDS s, from ``first`` on, on the visible pods;
    when each was written."""
    from bench.pods_page import NAMESPACE

    written: dict[int, float] = {}

    def change(n: int) -> None:
        status = {"containerStatuses": [{"name": "main", "restartCount": n}]}
        written[n] = time.time()
        core.patch_namespaced_pod_status(f"pod-{n % VISIBLE:05d}", NAMESPACE, {"status": status})

    started = time.time()
    with ThreadPoolExecutor(4) as changers:
        for i in range(CHANGES * SECONDS):
            time.sleep(max(0.0, started + i / CHANGES - time.time()))
            changers.submit(change, first + i)
    return written


def main(pods: int, viewers: int) -> None:
    from tools.services import redis_server

    data = Path(os.environ["BERTH_DATA_DIR"])
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    with private_plane() as plane, redis_server() as redis_url:
        os.environ["REDIS_URL"] = redis_url
        run(plane, pods, viewers)


def run(plane, pods: int, viewers: int) -> None:
    alice = django_against(os.environ["KUBECONFIG"])
    from kubernetes import client

    from bench.pods_page import NAMESPACE, populate
    from tools.services import free_port

    admin = plane.admin_client()
    populate(admin, pods)
    core = client.CoreV1Api(admin)
    cookie = session_cookie(alice)
    env = {**os.environ, "BERTH_SOCKETS_PER_PERSON": "10000"}  # every viewer here is alice
    log = open(Path(os.environ["BERTH_DATA_DIR"]) / "uvicorn.log", "w")  # noqa: SIM115
    results = []
    count = FIRST_COUNT
    for label, shared in (("shared renders", "256"), ("each viewer renders (baseline)", "0")):
        port = free_port()
        server = web_server(port, {**env, "BERTH_LIVE_SHARED_RENDERS": shared}, log)
        try:
            wait_for(lambda port=port: answers(port), 60, 0.2, "the web process")
            url = f"ws://127.0.0.1:{port}/ws/projects/{NAMESPACE}/pods/"
            shares = [[url] * (viewers // 2), [url] * (viewers - viewers // 2)]
            with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = [
                    pool.submit(watch, share, cookie, f"http://127.0.0.1:{port}", SECONDS + 25)
                    for share in shares
                ]
                time.sleep(15)  # every viewer connected, the watch warm, the first render sent
                web_cpu, started = cpu_seconds(server.pid), time.time()
                written = churn(core, count)
                wall = time.time() - started
                web_cpu = (cpu_seconds(server.pid) - web_cpu) / wall
                seens = [seen for future in futures for seen in future.result(timeout=300)]
        finally:
            server.terminate()
            server.wait(timeout=10)
        mine = range(count, count + CHANGES * SECONDS)
        latencies = [seen[n] - written[n] for seen in seens for n in mine if n in seen]
        shown = sum(1 for seen in seens for n in mine if n in seen) / (len(seens) * len(mine))
        results.append(
            {
                "run": label,
                "viewers": len(seens),
                "changes": len(mine),
                "shown": shown,
                "p50": percentile(latencies, 50),
                "p95": percentile(latencies, 95),
                "p99": percentile(latencies, 99),
                "web_cpu": web_cpu,
            }
        )
        print(results[-1], flush=True)
        count += CHANGES * SECONDS
    log.close()
    print()
    print(
        f"{pods:,} pods, {CHANGES} status changes a second for {SECONDS} s on the viewers' page, "
        f"{viewers} viewers"
    )
    print("| run | viewers | changes | changes shown to a viewer | p50 | p95 | p99 | web process CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['run']} | {r['viewers']} | {r['changes']:,} | {r['shown']:.0%} | {r['p50'] * 1000:.0f} ms "
            f"| {r['p95'] * 1000:.0f} ms | {r['p99'] * 1000:.0f} ms | {r['web_cpu']:.0%} |"
        )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 3000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 100,
    )
