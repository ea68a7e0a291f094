"""The pods page with 3,000 pods, against a raw LIST of the namespace, in one run.

Starts a private devcluster (its own state directory, so the shared one and its
tests are untouched), adds fake nodes until 3,000 pods fit, creates the pods,
then measures in this process (which plays the web process):
- the server time of the pods page (first page), once the shared watch is warm,
  through Django's full stack (middleware, access check, render);
- a raw LIST of the namespace through the Kubernetes client, as the person;
- the memory the watch cache holds per pod (tracemalloc), and the process RSS.

Run: `.venv/bin/python -m bench.pods_page [PODS]`.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("BERTH_MODE", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
os.environ.setdefault("BERTH_DEVCLUSTER_DIR", "/tmp/berth-bench-plane")
# Thousands of pods: kwok's fake nodes only (a real node belongs to the shared plane).
os.environ.setdefault("BERTH_DEVCLUSTER_REAL_NODE", "0")
os.environ.setdefault("BERTH_DATA_DIR", "/tmp/berth-bench-data")
NAMESPACE = "bench-pods"  # 3,000 pods (bench.live_status uses them too); other counts get their own


def namespace_for(count: int) -> str:
    return NAMESPACE if count == 3000 else f"{NAMESPACE}-{count}"


from bench.common import django_against, private_plane  # noqa: E402


def _nodes_needed(count: int) -> int:
    return count // 100 + 1


def main(count: int) -> None:
    with private_plane() as plane:
        run(plane, count)


def ensure_nodes(core, more: int, *, besides: str = "") -> None:
    """Fake nodes enough for ``more`` pods than the plane holds outside ``besides``."""
    from kubernetes import client

    selector = f"metadata.namespace!={besides}" if besides else ""
    elsewhere = len(core.list_pod_for_all_namespaces(field_selector=selector).items)
    for i in range(_nodes_needed(more + elsewhere)):
        name = f"bench-node-{i:02d}"
        try:
            core.create_node(
                {
                    "metadata": {
                        "name": name,
                        "annotations": {"kwok.x-k8s.io/node": "fake"},
                        "labels": {"type": "kwok"},
                    },
                    "status": {
                        "capacity": {"cpu": "64", "memory": "256Gi", "pods": "110"},
                        "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"},
                    },
                }
            )
        except client.exceptions.ApiException as exc:
            if exc.status != 409:
                raise


def bench_project(admin, namespace: str) -> None:
    """The project ``namespace``, alice its admin (kept if it exists)."""
    from kubernetes import client

    from projects import cluster as cluster_projects

    try:
        client.CoreV1Api(admin).create_namespace(
            {"metadata": {"name": namespace, "labels": {cluster_projects.PROJECT_LABEL: "true"}}}
        )
        client.RbacAuthorizationV1Api(admin).create_namespaced_role_binding(
            namespace,
            {
                "metadata": {"name": "alice-admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
            },
        )
    except client.exceptions.ApiException as exc:
        if exc.status != 409:
            raise


def populate(admin, count: int, namespace: str = NAMESPACE) -> None:
    """Fake nodes enough for ``count`` more pods than the plane has elsewhere, the project
    ``namespace`` (alice its admin) and ``count`` pods in it, Running (kwok)."""
    from kubernetes import client

    core = client.CoreV1Api(admin)
    ensure_nodes(core, count, besides=namespace)
    bench_project(admin, namespace)
    existing = len(core.list_namespaced_pod(namespace).items)

    def make(i: int) -> None:
        core.create_namespaced_pod(
            namespace,
            {
                "metadata": {"name": f"pod-{i:05d}", "labels": {"app": f"app-{i % 30}", "tier": "bench"}},
                "spec": {"containers": [{"name": "main", "image": f"registry.example/app-{i % 30}:1"}]},
            },
        )

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(existing, count)))
    print(f"created {count - existing} pods in {time.monotonic() - started:.0f}s")

    def running() -> int:
        # remainingItemCount is not given with a field selector: count them all.
        return len(core.list_namespaced_pod(namespace, field_selector="status.phase=Running").items)

    deadline = time.monotonic() + 900
    while running() < count and time.monotonic() < deadline:
        time.sleep(5)
    print(f"{running()} of {count} pods Running in {namespace}")


def run(plane, count: int) -> None:
    alice = django_against(os.environ["KUBECONFIG"])
    from django.test import Client

    from kube import identity_for_user
    from kube.client import api
    from workloads import cluster as workloads

    namespace = namespace_for(count)
    populate(plane.admin_client(), count, namespace)

    identity = identity_for_user(alice)
    raw = []
    for _ in range(7):
        t = time.perf_counter()
        api(identity, "core").list_namespaced_pod(namespace, _request_timeout=60)
        raw.append(time.perf_counter() - t)

    gc.collect()
    raw_json = []
    for _ in range(7):
        t = time.perf_counter()
        response = api(identity, "core").list_namespaced_pod(
            namespace, _preload_content=False, _request_timeout=60
        )
        json.loads(response.data)
        raw_json.append(time.perf_counter() - t)

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    informer = workloads.pods_informer(namespace)
    assert informer.wait_synced(120)
    cached = len(informer)
    time.sleep(1)  # let the LIST's response buffers go
    gc.collect()
    per_pod = (tracemalloc.get_traced_memory()[0] - before) / cached
    tracemalloc.stop()

    web = Client()
    web.force_login(alice)
    web.get(f"/projects/{namespace}/pods/")  # warm: access review cached, templates compiled
    page = []
    for _ in range(15):
        t = time.perf_counter()
        response = web.get(f"/projects/{namespace}/pods/")
        page.append(time.perf_counter() - t)
        assert response.status_code == 200 and response.content.count(b'data-testid="pod-row"') == 50

    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pods in the watch cache: {cached}")
    print(
        f"raw LIST of {cached} pods as the person: median {statistics.median(raw) * 1000:.0f} ms "
        f"(min {min(raw) * 1000:.0f})"
    )
    print(
        f"pods page (first 50 of {cached}), server time: median {statistics.median(page) * 1000:.0f} ms "
        f"(min {min(page) * 1000:.0f})"
    )
    print(f"raw LIST, JSON only (no client models): median {statistics.median(raw_json) * 1000:.0f} ms")
    print(f"watch cache memory: {per_pod:.0f} bytes per pod; process peak RSS {rss_mib:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
