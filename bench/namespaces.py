"""Many watched namespaces in one web process: the memory each costs, and the eviction of
the caches nobody uses any more.

On the private devcluster of `bench.pods_page` (kwok's nodes), NAMESPACES projects
(alice their admin), each with DEPLOYMENTS deployments of REPLICAS pods (made by the
real controllers, Running on kwok's nodes). This process plays the web process: it
opens every project's deployments page and pods page through Django's whole stack, as
a person would, which starts that namespace's two shared caches (deployments and pods,
each a LIST and a watch thread). Then it measures:
- the memory the caches hold per namespace (tracemalloc, after GC), the process's RSS
  and its threads;
- eviction: with the idle time cut to a few seconds (``kube.informer.IDLE_SECONDS``,
  600 s in Berth) and nobody reading, one page view of another project stops every idle
  cache; the threads, the watches and the memory after it;
- a project's first deployments page view (the watches start again), and one with
  every namespace watched, both without tracemalloc.

Run: `.venv/bin/python -m bench.namespaces [NAMESPACES] [DEPLOYMENTS] [REPLICAS]`
(100, 3 and 10).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("BERTH_MODE", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
os.environ.setdefault("BERTH_DEVCLUSTER_DIR", "/tmp/berth-bench-plane")
os.environ.setdefault("BERTH_DEVCLUSTER_REAL_NODE", "0")
os.environ.setdefault("BERTH_DATA_DIR", "/tmp/berth-bench-namespaces")

from bench.common import django_against, private_plane
from bench.pods_page import bench_project, ensure_nodes

PREFIX = "bench-ns"
IDLE_SECONDS = 5.0


def main(namespaces: int, deployments: int, replicas: int) -> None:
    with private_plane() as plane:
        run(plane, namespaces, deployments, replicas)


def populate(admin, namespaces: int, deployments: int, replicas: int) -> list[str]:
    from kubernetes import client

    core = client.CoreV1Api(admin)
    apps = client.AppsV1Api(admin)
    names = [f"{PREFIX}-{i:03d}" for i in range(namespaces)]
    pods = namespaces * deployments * replicas
    ensure_nodes(core, pods, besides="")

    def make(namespace: str) -> None:
        bench_project(admin, namespace)
        for d in range(deployments):
            labels = {"app": f"app-{d}"}
            body = {
                "metadata": {"name": f"app-{d}", "labels": labels},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": "main", "image": f"registry.example/app-{d}:1"}]},
                    },
                },
            }
            try:
                apps.create_namespaced_deployment(namespace, body)
            except client.exceptions.ApiException as exc:
                if exc.status != 409:
                    raise

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, names))

    def running() -> int:
        listed = core.list_pod_for_all_namespaces(
            label_selector="app", field_selector="status.phase=Running", _preload_content=False
        )
        return _count_in(listed.data, names)

    deadline = time.monotonic() + 900
    while (count := running()) < pods and time.monotonic() < deadline:
        time.sleep(5)
    print(f"{namespaces} projects, {count} of {pods} pods Running, in {time.monotonic() - started:.0f} s")
    return names


def _count_in(data: bytes, names: list[str]) -> int:
    import json

    wanted = set(names)
    return sum(1 for item in json.loads(data)["items"] if item["metadata"]["namespace"] in wanted)


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def informer_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("informer-"))


def run(plane, namespaces: int, deployments: int, replicas: int) -> None:
    alice = django_against(os.environ["KUBECONFIG"])
    from django.test import Client

    from kube import informer

    names = populate(plane.admin_client(), namespaces, deployments, replicas)
    web = Client()
    web.force_login(alice)

    def page(namespace: str, expected: int = deployments) -> float:
        t = time.perf_counter()
        response = web.get(f"/projects/{namespace}/deployments/")
        elapsed = time.perf_counter() - t
        rows = response.content.count(b'data-testid="deployment-row"')
        assert response.status_code == 200 and rows == expected, (namespace, response.status_code, rows)
        return elapsed

    # A first page view outside the measured namespaces: Django, the templates, the
    # project index and the client warm.
    bench_project(plane.admin_client(), f"{PREFIX}-warm")
    page(f"{PREFIX}-warm", 0)
    gc.collect()
    tracemalloc.start()
    memory_before, rss_before, threads_before = (
        tracemalloc.get_traced_memory()[0],
        rss_kib(),
        informer_threads(),
    )
    for namespace in names:
        page(namespace)
        pods_page = web.get(f"/projects/{namespace}/pods/")
        assert pods_page.content.count(b'data-testid="pod-row"') == min(50, deployments * replicas)
        for resource in ("pods", "deployments"):
            assert informer.informers()[(namespace, resource)].wait_synced(60)
    time.sleep(2)  # the LISTs' buffers go
    gc.collect()
    memory_after, rss_after, threads_after = tracemalloc.get_traced_memory()[0], rss_kib(), informer_threads()
    cached = sum(len(informer.informers()[(n, r)]) for n in names for r in ("pods", "deployments"))
    per_namespace = (memory_after - memory_before) / namespaces

    # Eviction: nobody reads for longer than the idle time, then one view of another project.
    informer.IDLE_SECONDS = IDLE_SECONDS
    time.sleep(IDLE_SECONDS + 1)
    t = time.perf_counter()
    page(f"{PREFIX}-warm", 0)
    evicting_view = time.perf_counter() - t
    left = [key for key in informer.informers() if key[0] in set(names)]
    deadline = time.monotonic() + 30
    while informer_threads() > threads_before + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    gc.collect()
    time.sleep(1)
    gc.collect()
    memory_evicted, rss_evicted, threads_evicted = (
        tracemalloc.get_traced_memory()[0],
        rss_kib(),
        informer_threads(),
    )
    tracemalloc.stop()

    # The page with every namespace watched again, timed without tracemalloc's cost.
    informer.IDLE_SECONDS = 600.0
    first_views = []
    for namespace in names:
        first_views.append(page(namespace))
        web.get(f"/projects/{namespace}/pods/")
    warm_views = [page(names[len(names) // 2]) for _ in range(15)]

    objects = deployments * (replicas + 1)
    rows = [
        ("first view of a project's deployments page (its LIST, its watch starts)",
         f"median {statistics.median(first_views) * 1000:.0f} ms"),
        ("cache memory per namespace (tracemalloc)",
         f"**{per_namespace / 1024:.1f} KiB** ({per_namespace / objects:.0f} bytes an object)"),
        ("process RSS growth per namespace", f"{(rss_after - rss_before) / namespaces:.0f} KiB"),
        ("informer threads (one per cache, each with its watch)", f"{threads_before} → {threads_after}"),
        (f"deployments page with {namespaces} namespaces watched",
         f"median {statistics.median(warm_views) * 1000:.1f} ms"),
        (f"the view that evicts the idle caches (idle time cut to {IDLE_SECONDS:.0f} s)",
         f"{evicting_view * 1000:.0f} ms"),
        (f"caches of the {namespaces} namespaces left after it", str(len(left))),
        ("informer threads after eviction", str(threads_evicted)),
        ("cache memory after eviction, against before the views (tracemalloc)",
         f"{(memory_evicted - memory_before) / 1024:+.0f} KiB"),
        ("process RSS after eviction, against before the views", f"{rss_evicted - rss_before:+,} KiB"),
    ]  # fmt: skip
    print()
    each = f"{deployments} deployments of {replicas} pods each"
    print(f"{namespaces} watched namespaces, {each} ({cached} objects in the caches)")
    print("| what | figure |")
    print("|---|---|")
    for what, figure in rows:
        print(f"| {what} | {figure} |")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [100, 3, 10][len(args) :]))
