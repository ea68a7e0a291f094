"""What the benchmarks share: a private plane or the real node's, Django set up against
it, the web server they measure, websocket clients on stored logs, and their arithmetic."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def private_plane():
    """The devcluster in BERTH_DEVCLUSTER_DIR, up; the components this started are
    stopped after."""
    from devcluster.plane import Plane

    plane = Plane(Path(os.environ["BERTH_DEVCLUSTER_DIR"]))
    result = plane.up(probe=False)
    os.environ["KUBECONFIG"] = str(result.kubeconfig)
    try:
        yield plane
    finally:
        if result.started:
            plane.stop_components(list(result.started))


@contextmanager
def real_node_session():
    """For a bench on the real node: a fresh BERTH_DATA_DIR, the shared devcluster with
    its real node (what `make cluster` starts; what this started is stopped after, the
    host's changes undone) and a private redis-server, Berth's settings for them in the
    environment; yields the cluster's environment (`python -m devcluster env`)."""
    from devcluster.plane import Plane
    from tools.dev import berth_settings_for
    from tools.services import redis_server

    data = Path(os.environ["BERTH_DATA_DIR"])
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    plane = Plane()
    result = plane.up()
    try:
        cluster = plane.env()
        if not cluster["REAL_NODE"]:
            sys.exit(f"no real node: {cluster['REAL_NODE_REASON']}")
        with redis_server() as redis_url:
            os.environ.update(berth_settings_for(cluster))
            os.environ["REDIS_URL"] = redis_url
            yield cluster
    finally:
        if result.started:
            plane.stop_components(list(result.started))


def django_against(kubeconfig: str):
    """Django set up, its database migrated, Berth's client on ``kubeconfig``: the user alice."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from kube.client import reset_config

    settings.KUBECONFIG = kubeconfig
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    reset_config()
    call_command("migrate", verbosity=0)
    return get_user_model().objects.get_or_create(username="alice")[0]


def session_cookie(user) -> str:
    from django.test import Client

    web = Client()
    web.force_login(user)
    return f"sessionid={web.cookies['sessionid'].value}"


def web_server(port: int, env: dict[str, str], log) -> subprocess.Popen:
    """Berth's ASGI server as production runs it (uvicorn), a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "console.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--ws", "websockets", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


@contextmanager
def real_node_web(cluster: dict[str, str], port: int, env: dict[str, str], log):
    """Berth's web process on ``port`` for the real node: the integrated registry asks it
    for tokens while it runs (the kubelet pulls built images with them); the token
    service's upstream is put back after."""
    from tools.services import stop

    upstream = Path(cluster["REGISTRY_TOKEN_UPSTREAM"])
    before = upstream.read_text() if upstream.exists() else None
    server = web_server(port, env, log)
    upstream.write_text(f"127.0.0.1:{port}\n")
    try:
        yield server
    finally:
        stop(server, grace=30)  # uvicorn waits for its websockets' consumers to end
        if before is None:
            upstream.unlink(missing_ok=True)
        else:
            upstream.write_text(before)


def answers(port: int) -> bool:
    """Whether the web process on ``port`` serves its login page."""
    import http.client

    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/login/")
        return conn.getresponse().status == 200
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, over every core."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def worker():
    """A Celery worker in a thread of this process, taking both of Berth's queues (the
    builds' too), as the test suite's is."""
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from console.celery import app

    return start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
        queues=[settings.CELERY_TASK_DEFAULT_QUEUE, settings.BERTH_BUILD_QUEUE],
    )


STAMP = re.compile(r"t=(\d+\.\d+)")  # the time a simulated build wrote a line, in the line


async def log_viewer(url: str, cookie: str, origin: str, out: dict, keep_text: bool = False) -> None:
    """A browser's websocket on a stored log, until its final status: into ``out`` go
    when it connected and when the first line arrived, every line's sequence number, and
    the latency of each line that carries the time it was written (``t=…``, also kept
    as ``stamped``: its sequence number, when it was written, when it arrived); with
    ``keep_text``, each line's HTML and arrival time too."""
    import websockets

    latencies, seqs, texts, arrivals, stamped = [], [], [], [], []
    first = last = first_line = None
    async with websockets.connect(
        url, additional_headers={"Cookie": cookie, "Origin": origin}, max_size=None
    ) as ws:
        out["connected"] = time.time()
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            for seq, html in message.get("lines", []):
                seqs.append(seq)
                if keep_text:
                    texts.append(html)
                    arrivals.append(now)
                first_line = first_line or now
                match = STAMP.search(html)
                if match:
                    latencies.append(now - float(match.group(1)))
                    stamped.append((seq, float(match.group(1)), now))
                    first = first or now
                    last = now
            status = message.get("status")
            if status and status["finished"]:
                break
    out.update(latencies=latencies, seqs=seqs, first=first, last=last, first_line=first_line, stamped=stamped)
    if keep_text:
        out.update(texts=texts, arrivals=arrivals)


def watch_all(urls: list[str], cookie: str, origin: str, keep_text: bool = False) -> list[dict]:
    """One :func:`log_viewer` per URL, at once; what each saw."""
    outs: list[dict] = [{} for _ in urls]

    async def run() -> None:
        pairs = zip(urls, outs, strict=True)
        await asyncio.gather(*(log_viewer(url, cookie, origin, out, keep_text) for url, out in pairs))

    asyncio.run(run())
    return outs
