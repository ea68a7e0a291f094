"""Writes on workloads: each is an action, validated here, done by a task."""

from __future__ import annotations

from datetime import timedelta

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from actions.events import publish
from actions.models import Action
from actions.refusal import Refused
from actions.services import action_record, action_start
from console import logstore
from console.status import status_class
from kube import ClusterError, identity_for_user
from projects.access import require_role
from workloads import cluster as cluster_workloads
from workloads import commands, controllers, hooks
from workloads.edit import Edit
from workloads.models import CommandLogLine, CommandRun


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


def deployment_release_start(*, action: Action, names: list[str], why: str) -> list[Action]:
    """Release actions for deployments that ``action`` changed and that wait, paused, for
    their hooks (workloads.hooks), as the person who asked for ``action``."""
    return [
        action_start(
            kind="deployment.release",
            user=action.requested_by,
            project=action.project,
            target=f"deployment/{name}",
            parameters={"name": name, "why": why},
            credit=action.requested_by_name,
        )
        for name in names
    ]


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


async def run_shell_open(*, user, run: CommandRun):
    """The interactive run's command (or a shell) in its pod, as the person."""
    identity = await database_sync_to_async(identity_for_user)(user)
    return await cluster_workloads.exec_in_pod(
        identity,
        namespace=run.project,
        pod=run.pod_name,
        container=run.container,
        command=[*commands.TERMINAL, run.command] if run.command else None,
    )


def interactive_run_end(*, user, run: CommandRun, exit_code: int | None) -> None:
    """The terminal of an interactive run closed: the run is over and its pod goes."""
    try:
        commands.run_job_delete(identity_for_user(user), namespace=run.project, job=run.job_name)
        gone = " Its pod was deleted."
    except ClusterError as exc:
        gone = f" Its pod could not be deleted ({exc}); the cluster ends it after its deadline."
    took = (timezone.now() - run.started_at).total_seconds() if run.started_at else 0
    said = f"exited with code {exit_code}" if exit_code is not None else "closed"
    command_status_set(
        run=run,
        status=CommandRun.Status.SUCCEEDED if exit_code == 0 else CommandRun.Status.FAILED,
        message=f"The terminal {said} after {took:.0f} s.{gone}",
        exit_code=exit_code,
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


# Commands run once in a deployment's environment ----------------------------------

COMMAND_CHARACTERS = 2000


def check_command(command: str, *, interactive: bool) -> str:
    command = command.strip()
    if not command and not interactive:
        raise Refused("Say which command to run (or choose Interactive for a shell).")
    if len(command) > COMMAND_CHARACTERS:
        raise Refused(f"A command may be at most {COMMAND_CHARACTERS:,} characters.")
    if "\x00" in command:
        raise Refused("A command cannot contain a NUL character.")
    return command


def _runs_in_flight(project: str) -> int:
    """Runs of the project the cluster may still be running (it ends any by its deadline)."""
    oldest = timezone.now() - timedelta(
        seconds=max(settings.BERTH_RUN_TIME_LIMIT, settings.BERTH_RUN_INTERACTIVE_SECONDS)
    )
    return (
        CommandRun.objects.filter(project=project, created_at__gte=oldest)
        .exclude(status__in=CommandRun.FINISHED)
        .count()
    )


def command_run_record(
    *, user, project: str, deployment: str, container: str, command: str, kind: str, credit: str = ""
) -> CommandRun:
    """A run's row, before its pod exists (hooks: their release action runs it)."""
    return CommandRun.objects.create(
        project=project,
        deployment=deployment,
        container=container,
        command=command,
        kind=kind,
        requested_by=user,
        requested_by_name=(credit or user.get_username())[:150],
    )


@transaction.atomic
def command_run_start(
    *, user, project, deployment: str, container: str, command: str, interactive: bool
) -> CommandRun:
    """Run ``command`` once in a new pod made from the deployment's pod template, as the
    person: a Job, followed by the worker (its log stored like a build's). Interactive: the
    pod waits for the person's terminal, which runs the command (or a shell)."""
    require_role(project, "edit", "Running a command")
    command = check_command(command, interactive=interactive)
    body = cluster_workloads.deployment_object(
        identity_for_user(user), namespace=project.name, name=deployment
    )
    names = commands.container_names(body)
    container = container or names[0]
    if container not in names:
        raise Refused(f"{deployment} has no container {container}.")
    if _runs_in_flight(project.name) >= settings.BERTH_PROJECT_RUNS_AT_ONCE:
        raise Refused(
            f"{project.name} has {settings.BERTH_PROJECT_RUNS_AT_ONCE} commands running already "
            "(BERTH_PROJECT_RUNS_AT_ONCE); wait for one to finish."
        )
    kind = CommandRun.Kind.INTERACTIVE if interactive else CommandRun.Kind.COMMAND
    run = command_run_record(
        user=user,
        project=project.name,
        deployment=deployment,
        container=container,
        command=command,
        kind=kind,
    )
    run.action = action_start(
        kind="deployment.command",
        user=user,
        project=project.name,
        target=f"deployment/{deployment}",
        parameters={"name": deployment, "run_id": run.pk, "next": run_url(run)},
    )
    run.save(update_fields=["action"])
    return run


def run_url(run: CommandRun) -> str:
    name = "workloads:run-terminal" if run.kind == CommandRun.Kind.INTERACTIVE else "workloads:run"
    return reverse(name, kwargs={"name": run.project, "deployment": run.deployment, "run": run.pk})


def command_log_append(*, run: CommandRun, lines: list[str], pod_lines: int | None = None) -> int:
    """Store ``lines`` (with how many lines of the pod's log are stored now), then tell the
    viewers."""
    if not lines:
        return run.last_seq
    limit = settings.BERTH_RUN_LOG_BYTES
    return logstore.append(
        owner=run,
        line_model=CommandLogLine,
        owner_field="run",
        lines=lines,
        limit=limit,
        marker=f"[Berth: the log stops here: {limit:,} bytes are kept of a command's log "
        "(BERTH_RUN_LOG_BYTES). The command goes on.]",
        group=run.group_name,
        fields={} if pod_lines is None else {"pod_lines": pod_lines},
    )


def command_status_set(*, run: CommandRun, status: str, message: str | None = None, **fields) -> None:
    logstore.status_set(
        run,
        status=status,
        running=CommandRun.Status.RUNNING,
        finished=CommandRun.FINISHED,
        message=message,
        fields=fields,
    )
    publish(run.group_name, command_status_event(run))


def command_status_event(run: CommandRun) -> dict:
    return {
        "type": "log.status",
        "status": run.status,
        "status_class": status_class(run.status),
        "message": run.message,
        "finished": run.is_finished,
        "exit_code": run.exit_code,
        "started": run.started_at.strftime("%H:%M:%S") if run.started_at else "",
        "finished_at": run.finished_at.strftime("%H:%M:%S") if run.finished_at else "",
    }


def deployment_hooks_set(*, user, project, name: str, pre_deploy: str, post_deploy: str) -> Action:
    """Set (or, empty, remove) the deployment's hooks: annotations, so no rollout."""
    require_role(project, "edit", "Changing a deployment's hooks")
    values = {}
    for phase, command in ((hooks.PRE, pre_deploy), (hooks.POST, post_deploy)):
        command = command.strip()
        if command:
            check_command(command, interactive=False)
        values[phase] = command
    return action_start(
        kind="deployment.hooks",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={
            "name": name,
            "hooks": values,
            "next": reverse("workloads:deployment", kwargs={"name": project.name, "deployment": name}),
        },
    )
