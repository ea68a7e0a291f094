"""Writes on workloads: each is an action, validated here, done by a task."""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings
from django.urls import reverse

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_record, action_start
from kube import identity_for_user
from projects.access import require_role
from workloads import cluster as cluster_workloads
from workloads import controllers
from workloads.edit import Edit


def check_replicas(replicas: int) -> None:
    if not 0 <= replicas <= settings.BERTH_MAX_REPLICAS:
        raise Refused(f"Replicas must be between 0 and {settings.BERTH_MAX_REPLICAS}.")


def deployment_scale(*, user, project, name: str, replicas: int) -> Action:
    require_role(project, "edit")
    check_replicas(replicas)
    return action_start(
        kind="deployment.scale",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={"name": name, "replicas": replicas},
    )


def deployment_rollback(*, user, project, name: str, revision: int) -> Action:
    require_role(project, "edit")
    return action_start(
        kind="deployment.rollback",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={"name": name, "revision": revision},
    )


def deployment_pause(*, user, project, name: str, paused: bool) -> Action:
    require_role(project, "edit")
    return action_start(
        kind="deployment.pause" if paused else "deployment.resume",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={"name": name},
    )


def deployment_restart(*, user, project, name: str) -> Action:
    require_role(project, "edit")
    return action_start(
        kind="deployment.restart",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={"name": name},
    )


def deployment_create(
    *,
    user,
    project,
    name: str,
    image: str,
    replicas: int,
    port: int | None,
    env: dict[str, str],
    command: list[str] | None = None,
) -> Action:
    require_role(project, "edit")
    check_replicas(replicas)
    return action_start(
        kind="deployment.create",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={
            "name": name,
            "image": image,
            "replicas": replicas,
            "port": port,
            "env": env,
            "command": command or [],
            "next": reverse("workloads:deployment", kwargs={"name": project.name, "deployment": name}),
        },
    )


def deployment_edit(*, user, project, name: str, edit: Edit, generation: int) -> Action:
    """Apply a previewed edit; the task refuses it if the spec changed since ``generation``."""
    require_role(project, "edit", "Editing a deployment")
    check_replicas(edit.replicas)
    return action_start(
        kind="deployment.edit",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={
            "name": name,
            "edit": edit.to_dict(),
            "generation": generation,
            "next": reverse("workloads:deployment", kwargs={"name": project.name, "deployment": name}),
        },
    )


def deployment_delete(*, user, project, name: str) -> Action:
    require_role(project, "edit", "Deleting a deployment")
    return action_start(
        kind="deployment.delete",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={"name": name, "next": reverse("workloads:deployments", kwargs={"name": project.name})},
    )


def cronjob_run(*, user, project, name: str) -> Action:
    """Run a CronJob now: a Job from its template, named here so a retried task makes the
    same one."""
    require_role(project, "edit", "Running a CronJob")
    controllers.controller_read(identity_for_user(user), namespace=project.name, kind="cronjob", name=name)
    job = controllers.manual_job_name(name)
    return action_start(
        kind="cronjob.run",
        user=user,
        project=project.name,
        target=f"cronjob/{name}",
        parameters={
            "name": name,
            "job": job,
            "next": reverse("workloads:job", kwargs={"name": project.name, "job": job}),
        },
    )


async def pod_shell_open(*, user, project, pod: str, container: str):
    """A shell in the pod's container, as the person (kube.exec.Session)."""
    identity = await database_sync_to_async(identity_for_user)(user)
    return await cluster_workloads.pod_shell_open(
        identity, namespace=project.name, pod=pod, container=container
    )


def terminal_record(*, user, project: str, pod: str, container: str, seconds: int | None) -> None:
    """A terminal session in the project's activity: when it opened (``seconds`` None) and
    when it closed, with how long it lasted. Never what was typed."""
    where = f"pod {pod}, container {container}"
    message = (
        f"Opened a terminal in {where}."
        if seconds is None
        else f"Closed the terminal in {where} after {seconds} s."
    )
    action_record(kind="pod.terminal", user=user, project=project, target=f"pod/{pod}", message=message)
