"""The devcluster is a real control plane: controllers, scheduler, RBAC and kwok's
simulated kubelets behave as on a cluster (issue 3)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from devcluster import logs
from devcluster.fixtures import Devcluster

pytestmark = pytest.mark.cluster

T = TypeVar("T")
IMAGE_V1 = "registry.invalid/berth/web:1"
IMAGE_V2 = "registry.invalid/berth/web:2"


def eventually(check: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll `check` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what} (last: {last!r})")
        time.sleep(0.2)


def deployment(name: str, replicas: int, image: str = IMAGE_V1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": image,
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }


def running_pods(core: client.CoreV1Api, namespace: str, selector: str) -> list[client.V1Pod]:
    pods = core.list_namespaced_pod(namespace, label_selector=selector).items
    return [p for p in pods if p.status.phase == "Running" and p.metadata.deletion_timestamp is None]


def wait_running(core: client.CoreV1Api, namespace: str, selector: str, count: int) -> list[client.V1Pod]:
    def check() -> list[client.V1Pod] | None:
        pods = running_pods(core, namespace, selector)
        return pods if len(pods) == count else None

    return eventually(check, f"{count} Running pods matching {selector} in {namespace}")


def fake_nodes(core: client.CoreV1Api, devcluster: Devcluster) -> set[str]:
    return {
        n.metadata.name
        for n in core.list_node().items
        if (n.metadata.annotations or {}).get(devcluster.fake_node_annotation) == "fake"
    }


def test_deployment_of_three_gets_three_running_pods_on_fake_nodes(
    admin_client: client.ApiClient, namespace: str, devcluster: Devcluster
) -> None:
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    apps.create_namespaced_deployment(namespace, deployment("web", 3))

    pods = wait_running(core, namespace, "app=web", 3)

    nodes = fake_nodes(core, devcluster)
    assert len(nodes) == 3
    assert {p.spec.node_name for p in pods} <= nodes
    for pod in pods:
        assert pod.status.container_statuses[0].ready is True
        assert pod.status.container_statuses[0].state.running is not None
    eventually(
        lambda: apps.read_namespaced_deployment(namespace=namespace, name="web").status.ready_replicas == 3,
        "the Deployment reports 3 ready replicas",
    )


def test_scaling_to_five_gives_five_running_pods(admin_client: client.ApiClient, namespace: str) -> None:
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    apps.create_namespaced_deployment(namespace, deployment("web", 3))
    wait_running(core, namespace, "app=web", 3)

    apps.patch_namespaced_deployment_scale("web", namespace, {"spec": {"replicas": 5}})

    pods = wait_running(core, namespace, "app=web", 5)
    assert len({p.metadata.name for p in pods}) == 5
    eventually(
        lambda: apps.read_namespaced_deployment("web", namespace).status.available_replicas == 5,
        "the Deployment reports 5 available replicas",
    )


def test_changing_the_image_creates_a_second_replicaset_at_revision_2(
    admin_client: client.ApiClient, namespace: str
) -> None:
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    apps.create_namespaced_deployment(namespace, deployment("web", 3))
    wait_running(core, namespace, "app=web", 3)

    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": IMAGE_V2}]}}}}
    apps.patch_namespaced_deployment("web", namespace, patch)

    def revisions() -> dict[str, str] | None:
        sets = apps.list_namespaced_replica_set(namespace, label_selector="app=web").items
        found = {
            (rs.metadata.annotations or {}).get("deployment.kubernetes.io/revision", ""): (
                rs.spec.template.spec.containers[0].image
            )
            for rs in sets
        }
        return found if len(sets) == 2 else None

    assert eventually(revisions, "two ReplicaSets") == {"1": IMAGE_V1, "2": IMAGE_V2}

    # The rollout completes: every running pod now runs the new image.
    def rolled_out() -> bool:
        pods = running_pods(core, namespace, "app=web")
        return len(pods) == 3 and all(p.spec.containers[0].image == IMAGE_V2 for p in pods)

    eventually(rolled_out, "3 Running pods on the new image")
    dep = apps.read_namespaced_deployment("web", namespace)
    assert dep.metadata.annotations["deployment.kubernetes.io/revision"] == "2"


def _list_pods_answer(api: client.ApiClient, namespace: str) -> tuple[int, Any]:
    """(HTTP status, pod names or the refusal's message), comparable across clients."""
    try:
        pods = client.CoreV1Api(api).list_namespaced_pod(namespace)
    except ApiException as exc:
        return exc.status, json.loads(exc.body)["message"]
    return 200, sorted(p.metadata.name for p in pods.items)


def test_alice_needs_a_rolebinding_and_impersonation_gets_the_same_answers(
    admin_client: client.ApiClient,
    namespace: str,
    user_client: Callable[[str], client.ApiClient],
    impersonating_client: Callable[..., client.ApiClient],
) -> None:
    core, rbac = client.CoreV1Api(admin_client), client.RbacAuthorizationV1Api(admin_client)
    core.create_namespaced_pod(
        namespace,
        {"metadata": {"name": "existing"}, "spec": {"containers": [{"name": "c", "image": IMAGE_V1}]}},
    )
    alice, as_alice = user_client("alice"), impersonating_client("alice")

    status, message = _list_pods_answer(alice, namespace)
    assert status == 403
    assert 'User "alice" cannot list resource "pods"' in message
    assert f'in the namespace "{namespace}"' in message
    assert _list_pods_answer(as_alice, namespace) == (status, message)

    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "alice-view"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
        },
    )

    allowed = eventually(
        lambda: (answer := _list_pods_answer(alice, namespace))[0] == 200 and answer,
        "alice may list pods after the RoleBinding",
        timeout=30,
    )
    assert allowed == (200, ["existing"])
    assert _list_pods_answer(as_alice, namespace) == allowed
    # The binding names alice only: bob (another developer) is still refused, both ways.
    assert _list_pods_answer(user_client("bob"), namespace)[0] == 403
    assert _list_pods_answer(impersonating_client("bob"), namespace)[0] == 403


def test_identities_and_impersonated_groups(
    user_client: Callable[[str], client.ApiClient],
    impersonating_client: Callable[..., client.ApiClient],
    devcluster: Devcluster,
) -> None:
    def whoami(api: client.ApiClient) -> tuple[str, set[str]]:
        review = client.AuthenticationV1Api(api).create_self_subject_review(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        )
        info = review.status.user_info
        return info.username, set(info.groups or [])

    for user, groups in devcluster.identities.items():
        assert whoami(user_client(user)) == (user, {*groups, "system:authenticated"})
    # Several Impersonate-Group headers, not one comma-joined value.
    assert whoami(impersonating_client("bob")) == ("bob", {"developers", "qa", "system:authenticated"})


def test_followed_simulated_log_delivers_lines_appended_later(
    admin_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    core = client.CoreV1Api(admin_client)
    core.create_namespaced_pod(
        namespace, {"metadata": {"name": "app"}, "spec": {"containers": [{"name": "app", "image": IMAGE_V1}]}}
    )
    eventually(lambda: core.read_namespaced_pod("app", namespace).status.phase == "Running", "pod Running")
    log_file = logs.write_lines(tmp_path / "app.log", ["booting", "listening on :8080"])
    logs.attach_pod_log(admin_client, namespace, "app", log_file)
    logs.wait_for_log(admin_client, namespace, "app", contains="listening on :8080")

    with logs.LogFollower(admin_client, namespace, "app") as follower:
        # The follow is established once it has delivered what the file already held.
        assert [follower.next_line(), follower.next_line()] == ["booting", "listening on :8080"]
        logs.append_lines(log_file, ["GET / 200", "GET /health 200"])
        assert [follower.next_line(), follower.next_line()] == ["GET / 200", "GET /health 200"]
        logs.append_lines(log_file, ["shutting down"], stream="stderr")
        assert follower.next_line() == "shutting down"


def test_job_pod_completes_and_job_succeeds(admin_client: client.ApiClient, namespace: str) -> None:
    batch, core = client.BatchV1Api(admin_client), client.CoreV1Api(admin_client)
    batch.create_namespaced_job(
        namespace,
        {
            "metadata": {"name": "once"},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "task", "image": "registry.invalid/berth/task:1"}],
                    }
                },
            },
        },
    )

    def complete() -> client.V1Job | None:
        job = batch.read_namespaced_job("once", namespace)
        conditions = {c.type: c.status for c in job.status.conditions or []}
        return job if conditions.get("Complete") == "True" else None

    job = eventually(complete, "the Job reports Complete")
    assert job.status.succeeded == 1
    assert not job.status.failed
    pods = core.list_namespaced_pod(namespace, label_selector="job-name=once").items
    assert [p.status.phase for p in pods] == ["Succeeded"]
    assert pods[0].status.container_statuses[0].state.terminated.exit_code == 0


def test_namespace_wide_simulated_log_reaches_a_deployments_pods(
    admin_client: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    """The development-mode helper: every pod of a namespace, including ones created
    after the log was attached, serves the same file."""
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    log_file = logs.write_lines(tmp_path / "web.log", ["web started"])
    logs.attach_namespace_log(admin_client, namespace, log_file)
    apps.create_namespaced_deployment(namespace, deployment("web", 2))

    for pod in wait_running(core, namespace, "app=web", 2):
        assert logs.wait_for_log(admin_client, namespace, pod.metadata.name, contains="web started")
