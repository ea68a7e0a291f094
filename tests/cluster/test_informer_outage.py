"""The shared watch through a real API server outage: it says so, then resumes by itself.

Runs on a private control plane (tests/conftest.py's private_plane), so that stopping its
API server disturbs no other test.
"""

from __future__ import annotations

import os
import threading

import pytest
from kubernetes import client

from tests.helpers import wait_for
from workloads import cluster as cluster_workloads

pytestmark = pytest.mark.cluster


def test_watch_reports_the_outage_and_resumes(private_plane):
    admin = private_plane.admin_client()
    core = client.CoreV1Api(admin)
    namespace = f"outage-{os.getpid()}"
    core.create_namespace({"metadata": {"name": namespace}})
    events: list[str] = []
    seen = threading.Condition()

    def listener(kind, payload):
        with seen:
            events.append(kind if kind not in ("ADDED", "MODIFIED") else f"{kind}:{payload.name}")
            seen.notify_all()

    informer = cluster_workloads.pods_informer(namespace)
    informer.add_listener(listener)
    try:
        assert informer.wait_synced(30)
        wait_for(lambda: "CONNECTED" in events, message="the watch to connect")

        private_plane.stop_components(["kube-apiserver"])
        wait_for(lambda: "DISCONNECTED" in events, timeout=60, message="the watch to notice the outage")
        assert informer.connected is False

        private_plane.up(probe=False)  # the API server comes back on the same address
        wait_for(lambda: events.count("CONNECTED") >= 2, timeout=90, message="the watch to resume")
        admin = private_plane.admin_client()
        client.CoreV1Api(admin).create_namespaced_pod(
            namespace,
            {"metadata": {"name": "after"}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}},
        )
        wait_for(lambda: informer.get("after") is not None, timeout=60, message="a pod made after the outage")
    finally:
        informer.remove_listener(listener)
        informer.stop()
