"""Workload actions (scale, roll back, pause, restart, deploy), run by the worker."""

from __future__ import annotations

from actions.models import Action
from actions.tasks import ActionFailed, action_identity, action_task
from kube import NotFound
from workloads import cluster as cluster_workloads


def _vanished(action: Action) -> ActionFailed:
    return ActionFailed(f"The deployment {action.parameters['name']} no longer exists in {action.project}.")


@action_task("deployment.scale")
def deployment_scale(action: Action) -> str:
    params = action.parameters
    # Fast clicks queue several scales: only the newest request counts, whatever
    # order the worker(s) run them in.
    newer = Action.objects.filter(
        kind=action.kind, project=action.project, target=action.target, pk__gt=action.pk
    ).exclude(state=Action.State.FAILED)
    if newer.exists():
        return f"Superseded by a newer request ({newer.last().parameters.get('replicas')} replicas)."
    try:
        cluster_workloads.deployment_scale(
            action_identity(action),
            namespace=action.project,
            name=params["name"],
            replicas=params["replicas"],
        )
    except NotFound:
        raise _vanished(action) from None
    return f"Scaled {params['name']} to {params['replicas']}."


@action_task("deployment.rollback")
def deployment_rollback(action: Action) -> str:
    params = action.parameters
    return cluster_workloads.deployment_rollback(
        action_identity(action), namespace=action.project, name=params["name"], revision=params["revision"]
    )


def _pause(action: Action, paused: bool) -> str:
    try:
        cluster_workloads.deployment_pause(
            action_identity(action), namespace=action.project, name=action.parameters["name"], paused=paused
        )
    except NotFound:
        raise _vanished(action) from None
    return f"{action.parameters['name']} is {'paused' if paused else 'resumed'}."


@action_task("deployment.pause")
def deployment_pause(action: Action) -> str:
    return _pause(action, True)


@action_task("deployment.resume")
def deployment_resume(action: Action) -> str:
    return _pause(action, False)


@action_task("deployment.restart")
def deployment_restart(action: Action) -> str:
    try:
        cluster_workloads.deployment_restart(
            action_identity(action), namespace=action.project, name=action.parameters["name"]
        )
    except NotFound:
        raise _vanished(action) from None
    return f"Restarting the pods of {action.parameters['name']}."


@action_task("deployment.create")
def deployment_create(action: Action) -> str:
    params = action.parameters
    cluster_workloads.deployment_create(
        action_identity(action),
        namespace=action.project,
        name=params["name"],
        image=params["image"],
        replicas=params["replicas"],
        port=params.get("port"),
        env=params.get("env") or {},
        command=params.get("command") or [],
    )
    return f"Deployment {params['name']} created."
