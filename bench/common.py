"""What the benchmarks share: a private plane, Django set up against it, the web server
they measure, and their arithmetic."""

from __future__ import annotations

import asyncio
import json
import os
import re
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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    the latency of each line that carries the time it was written (``t=…``); with
    ``keep_text``, each line's HTML and arrival time too."""
    import websockets

    latencies, seqs, texts, arrivals = [], [], [], []
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
                    first = first or now
                    last = now
            status = message.get("status")
            if status and status["finished"]:
                break
    out.update(latencies=latencies, seqs=seqs, first=first, last=last, first_line=first_line)
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
