"""How long "My projects" takes with many projects in the cluster.

Creates N Berth projects in the devcluster (alice a member of every tenth),
then times selectors.project_list for alice against a raw LIST of the
namespaces, in the same run. Run: `.venv/bin/python -m bench.project_index [N]`.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("BERTH_MODE", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")


def main(count: int) -> None:
    from devcluster.plane import Plane

    plane = Plane()
    result = plane.up()
    os.environ["KUBECONFIG"] = str(result.kubeconfig)

    import django

    django.setup()
    from django.conf import settings
    from kubernetes import client

    from kube import Identity
    from kube.client import reset_config
    from projects import cluster as cluster_projects

    settings.KUBECONFIG = str(result.kubeconfig)
    reset_config()
    admin = plane.admin_client()
    core, rbac = client.CoreV1Api(admin), client.RbacAuthorizationV1Api(admin)

    def make(i: int) -> None:
        name = f"bench-{i:04d}"
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

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(count)))
    print(f"{count} projects present ({time.monotonic() - started:.1f}s to create the missing ones)")

    alice = Identity(user="alice", groups=("developers",))
    index, raw = [], []
    for _ in range(20):
        t = time.perf_counter()
        mine = cluster_projects.project_index(alice)
        index.append(time.perf_counter() - t)
        t = time.perf_counter()
        core.list_namespace(label_selector=f"{cluster_projects.PROJECT_LABEL}=true")
        raw.append(time.perf_counter() - t)
    bench_mine = [p for p in mine if p.name.startswith("bench-")]
    print(f"alice sees {len(bench_mine)} of them (expected {len(range(0, count, 10))})")
    print(f"project_index: median {statistics.median(index) * 1000:.0f} ms, max {max(index) * 1000:.0f} ms")
    print(f"raw LIST of the namespaces: median {statistics.median(raw) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
