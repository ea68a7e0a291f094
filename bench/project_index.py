""" "My projects" with many projects in the cluster, against raw LISTs, in one run.

Starts a private devcluster (its own state directory and kwok's nodes only, so the
shared one and its tests are untouched), creates N Berth projects — a labelled
namespace, an admin RoleBinding and Berth's quota each — with alice a member of every
tenth, then measures in this process (which plays the web process):
- the project index for alice from the process's watch-backed caches: the first call
  (which LISTs and starts the watches) and warm calls;
- the "My projects" page, server time through Django's whole stack;
- a raw LIST of the project namespaces through the Kubernetes client (the baseline),
  and the three LISTs the index made on every view before it had caches;
- the memory the caches hold (tracemalloc).

Run: `.venv/bin/python -m bench.project_index [N]` (500 by default). Stop its plane
with `BERTH_DEVCLUSTER_DIR=/tmp/berth-bench-projects .venv/bin/python -m devcluster down`.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("BERTH_MODE", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
os.environ.setdefault("BERTH_DEVCLUSTER_DIR", "/tmp/berth-bench-projects")
os.environ.setdefault("BERTH_DEVCLUSTER_REAL_NODE", "0")
os.environ.setdefault("BERTH_DATA_DIR", "/tmp/berth-bench-projects-data")
RUNS = 30

from bench.common import django_against, private_plane  # noqa: E402


def main(count: int) -> None:
    from kube import informer

    with private_plane() as plane:
        try:
            run(plane, count)
        finally:
            informer.stop_all()  # before its cluster goes


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def _timed(function, runs: int = RUNS) -> tuple[list[float], object]:
    times, value = [], None
    for _ in range(runs):
        t = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - t)
    return times, value


def run(plane, count: int) -> None:
    alice_user = django_against(os.environ["KUBECONFIG"])
    from django.test import Client
    from kubernetes import client

    from kube import Identity
    from projects import cluster as cluster_projects

    admin = plane.admin_client()
    core, rbac = client.CoreV1Api(admin), client.RbacAuthorizationV1Api(admin)

    def make(i: int) -> None:
        name = f"bench-{i:05d}"
        try:
            core.create_namespace(
                {"metadata": {"name": name, "labels": {cluster_projects.PROJECT_LABEL: "true"}}}
            )
        except client.exceptions.ApiException as exc:
            if exc.status != 409:
                raise
            return
        user = "alice" if i % 10 == 0 else f"user{i}"
        rbac.create_namespaced_role_binding(
            name,
            {
                "metadata": {"name": "admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
            },
        )
        core.create_namespaced_resource_quota(
            name, {"metadata": {"name": cluster_projects.QUOTA_NAME}, "spec": {"hard": {"pods": "10"}}}
        )

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(count)))
    present = len(core.list_namespace(label_selector=f"{cluster_projects.PROJECT_LABEL}=true").items)
    took = time.monotonic() - started
    print(f"{present} projects in the cluster ({took:.0f} s to create the missing ones)")
    expected = len(range(0, count, 10))

    alice = Identity(user="alice", groups=("developers",))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    mine = cluster_projects.project_index(alice)
    first = time.perf_counter() - t
    time.sleep(1)  # let the LISTs' response buffers go
    gc.collect()
    cached = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    found = len([p for p in mine if p.name.startswith("bench-")])
    assert found == expected, (found, expected)

    index, _ = _timed(lambda: cluster_projects.project_index(alice))
    web = Client()
    web.force_login(alice_user)
    web.get("/projects/")  # templates compiled

    def page() -> int:
        response = web.get("/projects/")
        assert response.status_code == 200
        return response.content.count(b'data-testid="project-row"')

    page_times, rows = _timed(page)
    selector = f"{cluster_projects.PROJECT_LABEL}=true"
    raw, _ = _timed(lambda: core.list_namespace(label_selector=selector))

    def three_lists() -> None:  # what every view of the index cost before its caches
        core.list_namespace(label_selector=selector)
        rbac.list_role_binding_for_all_namespaces()
        core.list_resource_quota_for_all_namespaces(
            field_selector=f"metadata.name={cluster_projects.QUOTA_NAME}"
        )

    before_caches, _ = _timed(three_lists, runs=10)

    print(f"alice's projects: {found} of {expected}; rows on her page: {rows}")
    print(f"project index, first call (3 LISTs, watches started): {first * 1000:.0f} ms")
    print(f"project index, warm: {_ms(index)}")
    print(f"'My projects' page, server time: {_ms(page_times)}")
    print(f"raw LIST of the {present} project namespaces: {_ms(raw)}")
    print(f"the three LISTs of the index before its caches: {_ms(before_caches)}")
    print(
        f"warm index / raw LIST: {statistics.median(index) / statistics.median(raw):.3f}; "
        f"page / raw LIST: {statistics.median(page_times) / statistics.median(raw):.3f}"
    )
    print(f"caches' memory: {cached / 1024:.0f} KiB ({cached / present:.0f} bytes a project)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
