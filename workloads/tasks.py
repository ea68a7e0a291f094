"""Workload actions (scale, roll back, pause, restart, deploy, edit, delete), run by the worker."""

from __future__ import annotations

import time

from django.conf import settings

from actions.models import Action
from actions.services import action_update
from actions.tasks import ActionFailed, action_identity, action_task
from kube import Conflict, NotFound
from workloads import cluster as cluster_workloads
from workloads import controllers, edit


def _vanished(action: Action) -> ActionFailed:
    return ActionFailed(f"The deployment {action.parameters['name']} no longer exists in {action.project}.")


def _rolled_out(action: Action, did: str, stop=lambda: False) -> str:
    """Wait, showing progress, until the deployment runs what ``did`` asked for; fail
    with the cluster's reason (or what was seen when time ran out)."""
    name = action.parameters["name"]

    def report(state: cluster_workloads.Rollout) -> None:
        action_update(action=action, progress=state.percent, message=f"{did}; {state.text}…")

    try:
        state = cluster_workloads.rollout_wait(
            action_identity(action),
            namespace=action.project,
            name=name,
            since=action.started_at,
            timeout=settings.BERTH_ROLLOUT_TIMEOUT,
            report=report,
            stop=stop,
        )
    except NotFound:
        raise _vanished(action) from None
    if state.done:
        return f"{did}: {state.text}."
    if state.timed_out:
        seen = f"; last seen: {state.problem}" if state.problem else ""
        limit = settings.BERTH_ROLLOUT_TIMEOUT
        raise ActionFailed(f"{did}, but the rollout did not finish in {limit} s: {state.text}{seen}.")
    if not state.problem:  # stopped: a newer request took over
        return f"{did}; a newer request took over ({state.text})."
    raise ActionFailed(f"{did}, but {state.problem} ({state.text}).")


def _newer_scale(action: Action):
    return Action.objects.filter(
        kind=action.kind, project=action.project, target=action.target, pk__gt=action.pk
    ).exclude(state=Action.State.FAILED)


@action_task("deployment.scale")
def deployment_scale(action: Action) -> str:
    params = action.parameters
    # Fast clicks queue several scales: only the newest request counts, whatever
    # order the worker(s) run them in.
    newer = _newer_scale(action)
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
    did = f"Scaled {params['name']} to {params['replicas']}"
    return _rolled_out(action, did, stop=lambda: _newer_scale(action).exists())


@action_task("deployment.rollback")
def deployment_rollback(action: Action) -> str:
    params = action.parameters

    def remember(digest: str) -> None:  # before the patch: a takeover after it sees it done
        action.parameters["target_digest"] = digest
        action.save(update_fields=["parameters"])

    did = cluster_workloads.deployment_rollback(
        action_identity(action),
        namespace=action.project,
        name=params["name"],
        revision=params["revision"],
        target_digest=params.get("target_digest", ""),
        remember=remember,
    )
    if did.startswith("Skipped"):
        return did
    return _rolled_out(action, did.rstrip("."))


def _pause(action: Action, paused: bool) -> str:
    try:
        cluster_workloads.deployment_pause(
            action_identity(action), namespace=action.project, name=action.parameters["name"], paused=paused
        )
    except NotFound:
        raise _vanished(action) from None
    if paused:
        return f"{action.parameters['name']} is paused."
    # Changes made while it was paused roll out now.
    return _rolled_out(action, f"Resumed {action.parameters['name']}")


@action_task("deployment.pause")
def deployment_pause(action: Action) -> str:
    return _pause(action, True)


@action_task("deployment.resume")
def deployment_resume(action: Action) -> str:
    return _pause(action, False)


@action_task("deployment.restart")
def deployment_restart(action: Action) -> str:
    name = action.parameters["name"]
    try:
        if cluster_workloads.deployment_get(
            action_identity(action), namespace=action.project, name=name
        ).spec.paused:
            # As kubectl: the new pods would wait for a resume that may never come.
            raise ActionFailed(f"{name} is paused: its pods can't be restarted. Resume it first.")
        cluster_workloads.deployment_restart(action_identity(action), namespace=action.project, name=name)
    except NotFound:
        raise _vanished(action) from None
    return _rolled_out(action, f"Restarted the pods of {name}")


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
    return _rolled_out(action, f"Deployment {params['name']} created")


@action_task("deployment.edit")
def deployment_edit(action: Action) -> str:
    params, name = action.parameters, action.parameters["name"]
    identity = action_identity(action)
    conflict = (
        f"Someone else changed {name} since you opened the form; nothing was applied. "
        "Open the edit form again to see their change."
    )
    try:
        current = cluster_workloads.deployment_object(identity, namespace=action.project, name=name)
        if current["metadata"].get("generation") != params["generation"]:
            raise ActionFailed(conflict)
        try:
            new = edit.edited(current, edit.Edit.from_dict(params["edit"]))
        except ValueError as exc:
            raise ActionFailed(str(exc)) from None
        cluster_workloads.deployment_replace(identity, namespace=action.project, body=new)
    except NotFound:
        raise _vanished(action) from None
    except Conflict:
        raise ActionFailed(conflict) from None
    return _rolled_out(action, f"Updated {name}")


@action_task("deployment.delete")
def deployment_delete(action: Action) -> str:
    name = action.parameters["name"]
    identity = action_identity(action)
    try:
        cluster_workloads.deployment_delete(identity, namespace=action.project, name=name)
    except NotFound:
        return f"{name} was already gone."

    def gone() -> bool:
        try:
            cluster_workloads.deployment_get(identity, namespace=action.project, name=name)
        except NotFound:
            return True
        return False

    limit = settings.BERTH_ROLLOUT_TIMEOUT
    deadline = time.monotonic() + limit
    while not gone():  # foreground deletion: gone once its pods are
        if time.monotonic() > deadline:
            raise ActionFailed(f"{name} is being deleted, but its pods were still there after {limit} s.")
        time.sleep(1)
    return f"Deleted {name} and its pods."


def _job_refused(identity, namespace: str, job: str) -> str:
    """The cluster's latest warning about the Job (the quota refusing its pod), or ""."""
    events = cluster_workloads.events_for(identity, namespace=namespace, kind="Job", name=job)
    warnings = [e for e in events if e.type == "Warning"]
    return f"{warnings[-1].reason}: {warnings[-1].message}" if warnings else ""


@action_task("cronjob.run")
def cronjob_run(action: Action) -> str:
    """Done when the Job's pod runs (or the Job finished); failed with the Job's reason, its
    pod's or the cluster's warning about it, else with what was seen when time ran out."""
    params, identity = action.parameters, action_identity(action)
    name, job = params["name"], params["job"]
    try:
        controllers.cronjob_run(identity, namespace=action.project, name=name, job=job)
    except Conflict:
        pass  # an earlier attempt of this action made it
    except NotFound:
        raise ActionFailed(f"The CronJob {name} no longer exists in {action.project}.") from None
    action_update(action=action, progress=30, message=f"Job {job} made; waiting for its pod")
    made = f"Job {job} was made from CronJob {name}, but"
    deadline = time.monotonic() + settings.BERTH_JOB_START_WAIT
    while True:
        found = controllers.controller_read(identity, namespace=action.project, kind="job", name=job)
        if found.status == "Complete":
            return f"Job {job} from CronJob {name} completed ({found.progress})."
        if found.status == "Failed":
            raise ActionFailed(f"Job {job} from CronJob {name} failed: {found.problem or found.progress}.")
        pods = controllers.pods_of(identity, namespace=action.project, selector=found.selector)
        stuck = next((p for p in pods if p.why), None)
        if stuck is not None:
            raise ActionFailed(f"{made} its pod {stuck.name} can't run: {stuck.why}.")
        running = next((p for p in pods if p.phase in ("Running", "Succeeded")), None)
        if running is not None:
            return f"Job {job} from CronJob {name} runs: its pod {running.name} is {running.status}."
        refused = "" if pods else _job_refused(identity, action.project, job)
        if refused:
            raise ActionFailed(f"{made} the cluster made no pod for it: {refused}.")
        if time.monotonic() >= deadline:
            seen = ", ".join(f"{p.name} {p.status}" for p in pods) or "no pod"
            raise ActionFailed(f"{made} it isn't running after {settings.BERTH_JOB_START_WAIT} s ({seen}).")
        time.sleep(1)
