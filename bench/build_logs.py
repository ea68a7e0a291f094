"""Build log throughput and latency, pod log → browser-side websocket, in one run.

The whole path is real: the build pod's log file (kwok serves it through the
apiserver), the worker following it as the person, the database, Redis, Berth's
ASGI servers (uvicorn, separate processes) and websocket clients standing in for
browsers (in processes of their own). Each simulated line carries the wall-clock
time it was written to the pod's log; each viewer notes when it arrives.

Scenarios (viewers, offered lines a second, web processes), each served twice in the
same run: by the plain Redis channel layer, every socket its own member of the
build's group (the baseline, ``bench.settings_plain``), and by Berth's fan-out layer,
one member per web process (``console.fanout``). Uses the private devcluster of
`bench.pods_page` (kwok's nodes only, so builds are simulated and the shared devcluster
and its tests are untouched; a fresh project, deleted after), a private redis-server
and its own database in /tmp/berth-bench-builds.

Run: `.venv/bin/python -m bench.build_logs [LINES]` (default 10,000 lines a build).
"""

from __future__ import annotations

import multiprocessing
import os
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
os.environ.setdefault("BERTH_DEVCLUSTER_DIR", "/tmp/berth-bench-plane")
os.environ.setdefault("BERTH_DEVCLUSTER_REAL_NODE", "0")
os.environ["BERTH_DATA_DIR"] = "/tmp/berth-bench-builds"
from bench.common import (
    answers,
    cpu_seconds,
    machine_busy_seconds,
    percentile,
    private_plane,
    watch_all,
    web_server,
    worker,
)
from tests.helpers import wait_for

# (viewers, offered lines/s, web processes)
SCENARIOS = [(1, 2000, 1), (50, 2000, 1), (50, 5000, 1), (200, 2000, 2)]
if only := os.environ.get("BENCH_SCENARIO"):  # "viewers,rate,processes": that one alone (profiling)
    SCENARIOS = [tuple(int(n) for n in only.split(","))]
LAYERS = {"plain": "bench.settings_plain", "fan-out": "console.settings"}
VIEWER_PROCESSES = 2


def main(lines: int) -> None:
    from tools.services import redis_server

    data = Path(os.environ["BERTH_DATA_DIR"])
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    with private_plane(), redis_server() as redis_url:
        os.environ["REDIS_URL"] = redis_url
        run(lines)


def run(lines: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from builds import services, simulation
    from builds.models import BuildLogLine
    from kube import identity_for_user
    from kube.bootstrap import rbac_apply
    from projects import cluster as cluster_projects
    from projects import selectors as project_selectors
    from tools.services import free_port

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    call_command("migrate", verbosity=0)
    rbac_apply()
    alice, _ = get_user_model().objects.get_or_create(username="alice")

    class Stamped(simulation.LogSimulation):
        def extra_line(self, index: int) -> str:
            return f"(simulated) pip: output line {index + 1} t={time.time():.6f}"

    simulation.LogSimulation = Stamped  # the task looks it up at run time

    # When the worker (in this process) has stored and published each line: a line's
    # latency splits into write → stored (the worker following the pod's log) and
    # stored → browser (Redis, the web process, the socket, the viewer's process).
    stored_at: dict[tuple[int, int], float] = {}
    append = services.build_log_append

    def recording_append(*, build, lines, position=None):
        before = build.last_seq
        last = append(build=build, lines=lines, position=position)
        now = time.time()
        for seq in range(before + 1, last + 1):
            stored_at[(build.pk, seq)] = now
        return last

    services.build_log_append = recording_append  # the task looks it up at run time

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
    data_log = Path(os.environ["BERTH_DATA_DIR"]) / "uvicorn.log"
    log = open(data_log, "w")  # noqa: SIM115
    servers: dict[tuple[str, int], tuple[subprocess.Popen, int]] = {}
    for layer, module in LAYERS.items():
        for index in range(max(processes for _, _, processes in SCENARIOS)):
            port = free_port()
            process = web_server(port, {**env, "DJANGO_SETTINGS_MODULE": module}, log)
            servers[(layer, index)] = (process, port)
    web = Client()
    web.force_login(alice)
    cookie = f"sessionid={web.cookies['sessionid'].value}"
    results = []
    try:
        for _, port in servers.values():
            wait_for(lambda port=port: answers(port), 60, 0.2, f"the web process on {port}")
        project_obj = project_selectors.project_get(user=alice, name=project)
        config = services.build_config_create(
            user=alice,
            project=project_obj,
            name="web",
            data={"git_uri": f"file://{repo}", "git_ref": "main", "strategy": "source", "env": {}},
        )
        with (
            worker(),
            ProcessPoolExecutor(VIEWER_PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool,
        ):
            for viewers, rate, processes in SCENARIOS:
                for layer in LAYERS:
                    used = [servers[(layer, i)] for i in range(processes)]
                    settings.BERTH_BUILD_SIMULATION_RATE = rate
                    settings.BERTH_BUILD_SIMULATION_EXTRA_LINES = lines
                    build = services.build_start(user=alice, config=config, project=project_obj)
                    web_cpu = [cpu_seconds(server.pid) for server, _ in used]
                    own_cpu, started = cpu_seconds(os.getpid()), time.time()
                    machine = machine_busy_seconds()
                    urls = [
                        f"ws://127.0.0.1:{used[i % processes][1]}/ws/builds/{build.pk}/?after=0"
                        for i in range(viewers)
                    ]
                    # The viewers run in processes of their own: in this one they would share
                    # the interpreter lock with the worker they are measuring.
                    shares = [urls[i::VIEWER_PROCESSES] for i in range(VIEWER_PROCESSES)]
                    futures = [
                        pool.submit(watch_all, share, cookie, f"http://127.0.0.1:{used[0][1]}")
                        for share in shares
                        if share
                    ]
                    viewer_pids = list(pool._processes)  # the viewers' processes, alive until the pool ends
                    viewer_cpu = {pid: cpu_seconds(pid) for pid in viewer_pids}
                    outs = [out for future in futures for out in future.result(timeout=900)]
                    wall = time.time() - started
                    viewer_cpu = sum(cpu_seconds(pid) - before for pid, before in viewer_cpu.items()) / wall
                    busy, total = (
                        now - then for now, then in zip(machine_busy_seconds(), machine, strict=True)
                    )
                    machine_busy = busy / total
                    web_cpu = [
                        (cpu_seconds(server.pid) - before) / wall
                        for (server, _), before in zip(used, web_cpu, strict=True)
                    ]
                    own_cpu = (cpu_seconds(os.getpid()) - own_cpu) / wall
                    build.refresh_from_db()
                    stored = list(BuildLogLine.objects.filter(build=build).values_list("seq", flat=True))
                    exact = all(out["seqs"] == stored for out in outs)
                    for out in outs:
                        if out["seqs"] != stored:
                            seqs = out["seqs"]
                            at = next(
                                (i for i, (a, b) in enumerate(zip(seqs, stored, strict=False)) if a != b),
                                min(len(seqs), len(stored)),
                            )
                            print(
                                f"not exact: {len(seqs)} lines got, {len(stored)} stored, "
                                f"{len(seqs) - len(set(seqs))} repeated, first difference at {at}: "
                                f"got {seqs[at - 2 : at + 3]}, stored {stored[at - 2 : at + 3]}",
                                flush=True,
                            )
                    latencies = [x for out in outs for x in out["latencies"]]
                    to_store, to_browser = [], []
                    for out in outs:
                        for seq, written, arrived in out["stamped"]:
                            if (at := stored_at.get((build.pk, seq))) is not None:
                                to_store.append(at - written)
                                to_browser.append(arrived - at)
                    per_viewer = [len(out["latencies"]) / (out["last"] - out["first"]) for out in outs]
                    results.append(
                        {
                            "layer": layer,
                            "processes": processes,
                            "viewers": viewers,
                            "offered": rate,
                            "status": build.status,
                            "lines": len(stored),
                            "exact": exact,
                            "per_viewer": statistics.median(per_viewer),
                            "total": sum(per_viewer),
                            "p50": percentile(latencies, 50) * 1000,
                            "p99": percentile(latencies, 99) * 1000,
                            "store_p50": percentile(to_store, 50) * 1000,
                            "store_p99": percentile(to_store, 99) * 1000,
                            "browser_p50": percentile(to_browser, 50) * 1000,
                            "browser_p99": percentile(to_browser, 99) * 1000,
                            "web_cpu": max(web_cpu),
                            "worker_cpu": own_cpu,
                            "viewer_cpu": viewer_cpu,
                            "machine_busy": machine_busy,
                        }
                    )
                    print(results[-1], flush=True)
    finally:
        for server, _ in servers.values():
            server.terminate()
        for server, _ in servers.values():
            try:
                server.wait(timeout=30)  # uvicorn waits for its sockets' consumers to end
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()
        cluster_projects.project_delete(identity_for_user(alice), name=project)
        shutil.rmtree(repo, ignore_errors=True)
    print()
    print(
        "| layer | web processes | viewers | offered lines/s | build | lines "
        "| each viewer got every stored line once, in order "
        "| lines/s per viewer (median) | lines/s delivered in all | latency p50 | latency p99 "
        "| write → stored p50 / p99 | stored → browser p50 / p99 "
        "| web process CPU (busiest) | worker process CPU | viewers' processes CPU | machine busy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['layer']} | {r['processes']} | {r['viewers']} | {r['offered']:,} "
            f"| {r['status']} | {r['lines']:,} "
            f"| {'yes' if r['exact'] else 'NO'} "
            f"| {r['per_viewer']:,.0f} | {r['total']:,.0f} | {r['p50']:.0f} ms | {r['p99']:.0f} ms "
            f"| {r['store_p50']:.0f} / {r['store_p99']:.0f} ms "
            f"| {r['browser_p50']:.0f} / {r['browser_p99']:.0f} ms "
            f"| {r['web_cpu']:.0%} | {r['worker_cpu']:.0%} "
            f"| {r['viewer_cpu']:.0%} | {r['machine_busy']:.0%} |"
        )
    print(f"(uvicorn log: {data_log})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
