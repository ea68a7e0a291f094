"""Build log throughput and latency, pod log → browser-side websocket, in one run.

The whole path is real: the build pod's log file (kwok serves it through the
apiserver), the worker following it as the person, the database, the Redis
channel layer, Berth's ASGI server (uvicorn, a separate process) and websocket
clients standing in for browsers. Each simulated line carries the wall-clock
time it was written to the pod's log; each viewer notes when it arrives.

Four builds: 1 and 50 viewers, each at 1,000 and 5,000 offered lines a second.
Uses the shared devcluster (a fresh project, deleted after), a private
redis-server and its own database in /tmp/berth-bench-builds.

Run: `.venv/bin/python -m bench.build_logs [LINES]` (default 10,000 lines a build).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("BERTH_MODE", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
os.environ["BERTH_DATA_DIR"] = "/tmp/berth-bench-builds"
ROOT = Path(__file__).resolve().parent.parent
STAMP = re.compile(r"t=(\d+\.\d+)")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def viewer(url: str, cookie: str, origin: str, total_hint: list[int], out: dict) -> None:
    import websockets

    latencies, seqs = [], []
    first = last = None
    async with websockets.connect(
        url, additional_headers={"Cookie": cookie, "Origin": origin}, max_size=None
    ) as ws:
        out["connected"] = time.time()
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            for seq, html in message.get("lines", []):
                seqs.append(seq)
                match = STAMP.search(html)
                if match:
                    latencies.append(now - float(match.group(1)))
                    first = first or now
                    last = now
            status = message.get("status")
            if status and status["finished"]:
                break
    out.update(latencies=latencies, seqs=seqs, first=first, last=last)


def watch_all(url: str, cookie: str, origin: str, count: int) -> list[dict]:
    outs: list[dict] = [{} for _ in range(count)]

    async def run() -> None:
        await asyncio.gather(*(viewer(url, cookie, origin, [], out) for out in outs))

    asyncio.run(run())
    return outs


def main(lines: int) -> None:
    from tools.services import free_port, redis_server

    data = Path(os.environ["BERTH_DATA_DIR"])
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    os.environ.setdefault("KUBECONFIG", str(ROOT / ".devcluster" / "kubeconfig"))
    with redis_server() as redis_url:
        os.environ["REDIS_URL"] = redis_url
        run(lines, free_port())


def run(lines: int, port: int) -> None:
    import django

    django.setup()
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from builds import services, simulation
    from builds.models import BuildLogLine
    from console.celery import app
    from kube import identity_for_user
    from kube.bootstrap import rbac_apply
    from projects import cluster as cluster_projects
    from projects import selectors as project_selectors

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    call_command("migrate", verbosity=0)
    rbac_apply()
    alice, _ = get_user_model().objects.get_or_create(username="alice")

    class Stamped(simulation.LogSimulation):
        def extra_line(self, index: int) -> str:
            return f"(simulated) pip: output line {index + 1} t={time.time():.6f}"

    simulation.LogSimulation = Stamped  # the task looks it up at run time

    repo = Path(tempfile.mkdtemp(prefix="berth-bench-repo-"))
    (repo / "requirements.txt").write_text("flask\ngunicorn\n")
    (repo / "wsgi.py").write_text("from shop import app as application\n")
    (repo / "shop.py").write_text("app = None\n")
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "bench"]):
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@example.org", *args], cwd=repo, check=True
        )

    project = f"bench-builds-{os.getpid()}"
    quota = {"cpu": "4", "memory": "8Gi", "pods": "20", "pvcs": "2", "storage": "10Gi"}
    cluster_projects.project_create(
        identity_for_user(alice), name=project, display_name="", description="", quota=quota, action_id=0
    )
    env = {**os.environ, "KUBECONFIG": settings.KUBECONFIG, "REDIS_URL": settings.REDIS_URL}
    env["BERTH_SOCKETS_PER_PERSON"] = "10000"  # every viewer here is alice
    log = open(data_log := Path(os.environ["BERTH_DATA_DIR"]) / "uvicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "console.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--ws", "websockets", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    web = Client()
    web.force_login(alice)
    cookie = f"sessionid={web.cookies['sessionid'].value}"
    origin = f"http://127.0.0.1:{port}"
    results = []
    try:
        time.sleep(3)  # uvicorn's start
        project_obj = project_selectors.project_get(user=alice, name=project)
        config = services.build_config_create(
            user=alice,
            project=project_obj,
            name="web",
            data={"git_uri": f"file://{repo}", "git_ref": "main", "strategy": "source", "env": {}},
        )
        with (
            start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30),
            ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as viewers_pool,
        ):
            for rate in (1000, 5000):
                for viewers in (1, 50):
                    settings.BERTH_BUILD_SIMULATION_RATE = rate
                    settings.BERTH_BUILD_SIMULATION_EXTRA_LINES = lines
                    build = services.build_start(user=alice, config=config, project=project_obj)
                    web_cpu, own_cpu, started = cpu_seconds(server.pid), cpu_seconds(os.getpid()), time.time()
                    url = f"ws://127.0.0.1:{port}/ws/builds/{build.pk}/?after=0"
                    # The viewers run in their own process: in this one they would share
                    # the interpreter lock with the worker they are measuring.
                    outs = viewers_pool.submit(watch_all, url, cookie, origin, viewers).result(timeout=600)
                    wall = time.time() - started
                    web_cpu = (cpu_seconds(server.pid) - web_cpu) / wall
                    own_cpu = (cpu_seconds(os.getpid()) - own_cpu) / wall
                    build.refresh_from_db()
                    stored = list(BuildLogLine.objects.filter(build=build).values_list("seq", flat=True))
                    exact = all(out["seqs"] == stored for out in outs)
                    latencies = [x for out in outs for x in out["latencies"]]
                    per_viewer = [len(out["latencies"]) / (out["last"] - out["first"]) for out in outs]
                    results.append(
                        {
                            "viewers": viewers,
                            "offered": rate,
                            "status": build.status,
                            "lines": len(stored),
                            "exact": exact,
                            "per_viewer": statistics.median(per_viewer),
                            "total": sum(per_viewer),
                            "p50": percentile(latencies, 50) * 1000,
                            "p99": percentile(latencies, 99) * 1000,
                            "web_cpu": web_cpu,
                            "worker_cpu": own_cpu,
                        }
                    )
                    print(results[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        cluster_projects.project_delete(identity_for_user(alice), name=project)
        shutil.rmtree(repo, ignore_errors=True)
    print()
    print(
        "| viewers | offered lines/s | build | lines | each viewer got every stored line once, in order "
        "| lines/s per viewer (median) | lines/s delivered in all | latency p50 | latency p99 "
        "| web process CPU | worker process CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['viewers']} | {r['offered']:,} | {r['status']} | {r['lines']:,} "
            f"| {'yes' if r['exact'] else 'NO'} "
            f"| {r['per_viewer']:,.0f} | {r['total']:,.0f} | {r['p50']:.0f} ms | {r['p99']:.0f} ms "
            f"| {r['web_cpu']:.0%} | {r['worker_cpu']:.0%} |"
        )
    print(f"(uvicorn log: {data_log})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
