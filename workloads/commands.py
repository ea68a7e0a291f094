"""Commands run once in a deployment's environment, on the cluster.

A run is a Job made from the deployment's own pod template — its image, env, secrets,
volumes and service account — with one container (the chosen one) whose command is
replaced, no probes, and labels of its own (so no Service sends it traffic and no
ReplicaSet adopts it). Created, read and deleted as the person.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass

from kube.client import MANAGED_BY, Identity, api, call
from kube.errors import NotFound
from workloads.cluster import pod_why

RUN_LABEL = "berth.io/run"
DEPLOYMENT_LABEL = "berth.io/deployment"
SHELL = ["/bin/sh", "-c"]
# An interactive run's command, in its terminal (the command is the argument: no quoting).
TERMINAL = ["/bin/sh", "-c", 'export TERM=xterm-256color; eval "$1"', "sh"]
# What no one-off pod keeps of the deployment's container: it runs once and serves nothing.
_SERVING_ONLY = ("livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "args")


def run_job_name(deployment: str, run_id: int) -> str:
    suffix = f"-run-{run_id}"
    return deployment[: 63 - len(suffix)].rstrip("-.") + suffix


def container_names(deployment: dict) -> list[str]:
    return [c["name"] for c in deployment["spec"]["template"]["spec"].get("containers") or []]


def run_job_body(
    deployment: dict,
    *,
    run_id: int,
    job: str,
    container: str,
    command: list[str],
    deadline: int,
    keep: int,
) -> dict:
    """The Job of a run, from ``deployment`` (the API's dict of it): ``command`` in
    ``container``, ended by the cluster after ``deadline`` seconds, its pod kept ``keep``
    seconds after it finished (for its log)."""
    template = copy.deepcopy(deployment["spec"]["template"])
    spec = template["spec"]
    chosen = next((c for c in spec.get("containers") or [] if c["name"] == container), None)
    if chosen is None:
        raise NotFound(f"The deployment has no container {container}.")
    for key in _SERVING_ONLY:
        chosen.pop(key, None)
    chosen["command"] = command
    spec["containers"] = [chosen]
    spec["restartPolicy"] = "Never"
    labels = {
        RUN_LABEL: str(run_id),
        DEPLOYMENT_LABEL: deployment["metadata"]["name"],
        MANAGED_BY[0]: MANAGED_BY[1],
    }
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    template["metadata"] = {"labels": labels, "annotations": annotations}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": deadline,
            "ttlSecondsAfterFinished": keep,
            "template": template,
        },
    }


def run_job_create(identity: Identity, *, namespace: str, body: dict) -> None:
    call(api(identity, "batch").create_namespaced_job, namespace, body)


def run_job_delete(identity: Identity, *, namespace: str, job: str) -> None:
    """The Job and its pod, at once (an interactive run's pod only sleeps)."""
    with contextlib.suppress(NotFound):
        call(
            api(identity, "batch").delete_namespaced_job,
            job,
            namespace,
            body={"propagationPolicy": "Background", "gracePeriodSeconds": 0},
        )
    pods = call(api(identity, "core").list_namespaced_pod, namespace, label_selector=f"job-name={job}")
    for pod in pods.items:
        with contextlib.suppress(NotFound):
            call(
                api(identity, "core").delete_namespaced_pod,
                pod.metadata.name,
                namespace,
                body={"gracePeriodSeconds": 0},
            )


@dataclass(frozen=True)
class RunPod:
    name: str
    phase: str  # Pending, Running, Succeeded, Failed
    exit_code: int | None
    reason: str  # the container's termination reason, or the pod's (DeadlineExceeded)
    why: str  # what keeps it from running (workloads.cluster.pod_why)


def run_pod(identity: Identity, *, namespace: str, run_id: int) -> RunPod | None:
    """The run's pod (the newest, if the Job made more than one), as the person."""
    core = api(identity, "core")
    pods = call(core.list_namespaced_pod, namespace, label_selector=f"{RUN_LABEL}={run_id}").items
    if not pods:
        return None
    pods.sort(key=lambda p: p.metadata.creation_timestamp)
    raw = core.api_client.sanitize_for_serialization(pods[-1])
    status = raw.get("status") or {}
    exit_code, reason = None, status.get("reason") or ""
    for container in status.get("containerStatuses") or []:
        terminated = (container.get("state") or {}).get("terminated")
        if terminated:
            exit_code, reason = terminated.get("exitCode"), terminated.get("reason") or reason
    return RunPod(
        name=raw["metadata"]["name"],
        phase=status.get("phase") or "Pending",
        exit_code=exit_code,
        reason=reason,
        why=pod_why(raw),
    )
