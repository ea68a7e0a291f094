"""Which pods run for real and which on kwok's fake nodes.

When the real node is up, the kwok nodes carry the taint ``kwok.x-k8s.io/node=fake:
NoSchedule`` (kwok's own convention), so a pod nobody marked lands on the real node:
an app a person deploys or builds in ``make dev`` really runs. Without a real node
the kwok nodes stay untainted and everything schedules there, as before.

A namespace opts into the fake nodes with two annotations read by the apiserver's
``PodNodeSelector`` and ``PodTolerationRestriction`` admission plugins: every pod
created in it gets the node selector ``type=kwok`` and the toleration of the taint.
Tests of mechanics and the benchmarks that need thousands of pods use that; no
change to the pods they create is needed.
"""

from __future__ import annotations

import json
import time

from kubernetes import client
from kubernetes.client.exceptions import ApiException

FAKE_NODE_TAINT = {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}
FAKE_NODE_TOLERATION = {**FAKE_NODE_TAINT, "operator": "Equal"}
FAKE_NODE_SELECTOR = {"type": "kwok"}
REAL_NODE_LABEL = ("berth.io/node", "real")

FAKE_NODES_ANNOTATIONS = {
    "scheduler.alpha.kubernetes.io/node-selector": ",".join(
        f"{k}={v}" for k, v in FAKE_NODE_SELECTOR.items()
    ),
    "scheduler.alpha.kubernetes.io/defaultTolerations": json.dumps([FAKE_NODE_TOLERATION]),
}


def fake_pod_spec_fields() -> dict[str, object]:
    """What to put in a single pod's spec to send it to a fake node."""
    return {"nodeSelector": dict(FAKE_NODE_SELECTOR), "tolerations": [dict(FAKE_NODE_TOLERATION)]}


def use_fake_nodes(core: client.CoreV1Api, namespace: str, timeout: float = 10.0) -> None:
    """Send every pod created from now on in `namespace` to kwok's fake nodes.

    Best called right after creating the namespace (or put ``FAKE_NODES_ANNOTATIONS``
    in the namespace's metadata when creating it). The admission plugins read
    namespaces from a cache; this returns once a dry-run pod shows they see the
    annotations, so the next pod created is placed as asked.
    """
    core.patch_namespace(namespace, {"metadata": {"annotations": dict(FAKE_NODES_ANNOTATIONS)}})
    wait_admission_sees(core, namespace, timeout)


def wait_admission_sees(core: client.CoreV1Api, namespace: str, timeout: float = 10.0) -> None:
    probe = {
        "metadata": {"generateName": "placement-probe-"},
        "spec": {"containers": [{"name": "probe", "image": "registry.invalid/probe:1"}]},
    }
    deadline = time.monotonic() + timeout
    while True:
        try:
            pod = core.create_namespaced_pod(namespace, probe, dry_run="All")
            if (pod.spec.node_selector or {}) == FAKE_NODE_SELECTOR:
                return
        except ApiException as exc:
            # The namespace's default ServiceAccount may not exist yet.
            if exc.status != 403:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"the apiserver did not apply the fake-node annotations of {namespace}")
        time.sleep(0.1)


def fake_nodes_namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, object]:
    """A Namespace manifest whose pods go to the fake nodes."""
    return {"metadata": {"name": name, "labels": labels or {}, "annotations": dict(FAKE_NODES_ANNOTATIONS)}}
