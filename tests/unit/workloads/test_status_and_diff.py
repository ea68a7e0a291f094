"""Pure rules of workloads: pod status as kubectl shows it, and the rollback diff."""

from __future__ import annotations

from workloads.cluster import pod_status
from workloads.diff import template_diff


def _pod(phase="Running", statuses=(), deleting=False, init=()):
    pod = {"metadata": {"name": "p"}, "status": {"phase": phase, "containerStatuses": list(statuses)}}
    if init:
        pod["status"]["initContainerStatuses"] = list(init)
        pod["spec"] = {"initContainers": [{}] * len(init)}
    if deleting:
        pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return pod


def test_pod_status_like_kubectl():
    running = {"ready": True, "state": {"running": {}}}
    assert pod_status(_pod(statuses=[running])) == "Running"
    crash = {"state": {"waiting": {"reason": "CrashLoopBackOff"}}}
    assert pod_status(_pod(statuses=[running, crash])) == "CrashLoopBackOff"
    pull = {"state": {"waiting": {"reason": "ImagePullBackOff"}}}
    assert pod_status(_pod(phase="Pending", statuses=[pull])) == "ImagePullBackOff"
    done = {"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}
    assert pod_status(_pod(phase="Succeeded", statuses=[done])) == "Completed"
    failed = {"state": {"terminated": {"exitCode": 3}}}
    assert pod_status(_pod(phase="Failed", statuses=[failed])) == "ExitCode:3"
    assert pod_status(_pod(statuses=[running], deleting=True)) == "Terminating"
    waiting_init = {"state": {"waiting": {"reason": "PodInitializing"}}}
    assert pod_status(_pod(phase="Pending", init=[waiting_init])) == "Init:0/1"
    assert pod_status(_pod(phase="Pending")) == "Pending"


def _template(image="web:1", env=None, volumes=None, mounts=None):
    container = {"name": "web", "image": image, "env": env or []}
    if mounts:
        container["volumeMounts"] = mounts
    spec = {"containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    return {"metadata": {"labels": {"app": "web"}}, "spec": spec}


def test_template_diff_names_what_changes():
    current = _template("web:2", env=[{"name": "MODE", "value": "new"}, {"name": "KEEP", "value": "x"}])
    target = _template(
        "web:1",
        env=[{"name": "KEEP", "value": "x"}],
        volumes=[{"name": "data"}],
        mounts=[{"name": "data", "mountPath": "/data"}],
    )
    changes = [(c.where, c.what, c.before, c.after) for c in template_diff(current, target)]
    assert changes == [
        ("container web", "image", "web:2", "web:1"),
        ("container web", "env MODE", "new", "—"),
        ("container web", "volume mounts", "—", '[{"mountPath": "/data", "name": "data"}]'),
        ("pod", "volumes", "—", '[{"name": "data"}]'),
    ]
    assert template_diff(current, current) == []
