"""Workload actions (scale, roll back, pause, restart, deploy, edit, delete), run by the worker."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from actions.models import Action
from actions.services import action_update
from actions.tasks import ActionFailed, action_identity, action_task, watchdog
from kube import ClusterError, Conflict, NotFound
from kube.streams import IDLE, container_log_follow
from workloads import cluster as cluster_workloads
from workloads import commands, controllers, edit, hooks, services
from workloads.hooks import POST, PRE
from workloads.models import CommandRun


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
    name = action.parameters["name"]
    if not paused:
        try:
            current = cluster_workloads.deployment_object(
                action_identity(action), namespace=action.project, name=name
            )
        except NotFound:
            raise _vanished(action) from None
        if hooks.hooks_of(current):
            # What changed while it was paused waits behind its pre-deploy hook.
            return release(action, name, f"Resumed {name}")
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
    name, identity = action.parameters["name"], action_identity(action)
    try:
        current = cluster_workloads.deployment_object(identity, namespace=action.project, name=name)
        if current["spec"].get("paused"):
            # As kubectl: the new pods would wait for a resume that may never come.
            raise ActionFailed(f"{name} is paused: its pods can't be restarted. Resume it first.")
        hooked = bool(hooks.hooks_of(current))  # then the new template waits for its release
        cluster_workloads.deployment_restart(identity, namespace=action.project, name=name, paused=hooked)
    except NotFound:
        raise _vanished(action) from None
    if hooked:
        return release(action, name, f"Restarted the pods of {name}")
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
        # Paused by the person, it stays so; else its hooks hold the new template.
        hooked = not current["spec"].get("paused") and bool(hooks.hooks_of(new))
        cluster_workloads.deployment_replace(
            identity, namespace=action.project, body=hooks.gated(new) if hooked else new
        )
    except NotFound:
        raise _vanished(action) from None
    except Conflict:
        raise ActionFailed(conflict) from None
    if hooked:
        return release(action, name, f"Updated {name}")
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


# Commands run once in a deployment's environment, and its hooks -----------------------

FLUSH_LINES, FLUSH_SECONDS = 200, 0.25


class CommandRunner:
    """One attempt at a run; safe to repeat (the Job is named by the run and reused, and
    the lines of the pod's log stored already are skipped)."""

    def __init__(self, run: CommandRun, identity):
        self.run = run
        self.identity = identity
        self.namespace = run.project
        self.pending: list[str] = []
        self.pod_lines = run.pod_lines
        self.last_flush = time.monotonic()

    def emit(self, line: str, *, from_pod: bool = False) -> None:
        self.pending.append(line)
        self.pod_lines += from_pod
        if len(self.pending) >= FLUSH_LINES or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        lines, self.pending = self.pending, []
        services.command_log_append(run=self.run, lines=lines, pod_lines=self.pod_lines)

    def fail(self, message: str, exit_code: int | None = None) -> str:
        self.emit(f"\x1b[31merror:\x1b[0m {message}")
        self.flush()
        services.command_status_set(
            run=self.run, status=CommandRun.Status.FAILED, message=message, exit_code=exit_code
        )
        return message

    def start(self, deployment: dict | None = None) -> commands.RunPod | str:
        """Make the Job (from ``deployment``, else as it is now) and wait for its pod to
        run: the pod, or why it failed."""
        run = self.run
        if not run.job_name:
            if deployment is None:
                try:
                    deployment = cluster_workloads.deployment_object(
                        self.identity, namespace=self.namespace, name=run.deployment
                    )
                except NotFound:
                    return self.fail(f"The deployment {run.deployment} no longer exists in {run.project}.")
            interactive = run.kind == CommandRun.Kind.INTERACTIVE
            limit = settings.BERTH_RUN_INTERACTIVE_SECONDS if interactive else settings.BERTH_RUN_TIME_LIMIT
            job = commands.run_job_name(run.deployment, run.pk)
            body = commands.run_job_body(
                deployment,
                run_id=run.pk,
                job=job,
                container=run.container or commands.container_names(deployment)[0],
                # An interactive run's pod waits for the terminal, which runs the command.
                command=["sleep", str(limit)] if interactive else [*commands.SHELL, run.command],
                deadline=limit,
                keep=settings.BERTH_RUN_POD_KEPT_SECONDS,
            )
            try:
                commands.run_job_create(self.identity, namespace=self.namespace, body=body)
            except Conflict:
                pass  # an earlier attempt made it
            except ClusterError as exc:
                return self.fail(f"The cluster refused the Job: {exc}")
            run.job_name = job
            run.save(update_fields=["job_name"])
            self.emit(f"$ {run.command}" if run.command else "$ (a shell)")
            self.emit(f"Created Job {job} from the pod template of deployment/{run.deployment}.")
            self.flush()
        deadline = time.monotonic() + settings.BERTH_JOB_START_WAIT
        while True:
            pod = commands.run_pod(self.identity, namespace=self.namespace, run_id=run.pk)
            if pod is not None and pod.why:
                return self.fail(f"Its pod {pod.name} can't run: {pod.why}.")
            if pod is not None and pod.phase != "Pending":
                if not run.pod_name:
                    services.command_status_set(run=run, status=CommandRun.Status.RUNNING, pod_name=pod.name)
                return pod
            refused = "" if pod else _job_refused(self.identity, self.namespace, run.job_name)
            if refused:
                return self.fail(f"The cluster made no pod for Job {run.job_name}: {refused}.")
            if time.monotonic() > deadline:
                seen = f"its pod {pod.name} is {pod.phase}" if pod else "no pod"
                return self.fail(
                    f"The command did not start within {settings.BERTH_JOB_START_WAIT} s ({seen})."
                )
            time.sleep(0.5)

    def follow(self, pod: commands.RunPod) -> None:
        follow = container_log_follow(
            self.identity,
            namespace=self.namespace,
            pod=pod.name,
            container=self.run.container,
            read_timeout=settings.BERTH_RUN_TIME_LIMIT + 60,
        )
        if follow is None:
            return
        skip = self.run.pod_lines  # stored by an earlier attempt
        idle_since = None
        try:
            for item in follow:
                if item is IDLE:
                    self.flush()
                    # The kubelet ends the stream when the container exits; a guard for
                    # one that stays open.
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > 5:
                        now = commands.run_pod(self.identity, namespace=self.namespace, run_id=self.run.pk)
                        if now is None or now.phase in ("Succeeded", "Failed"):
                            return
                        idle_since = time.monotonic()
                    continue
                idle_since = None
                if skip:
                    skip -= 1
                    continue
                self.emit(item, from_pod=True)
        finally:
            follow.close()
            self.flush()

    def finish(self) -> str:
        """The exit code recorded; the message, or ActionFailed's text for a failure."""
        run = self.run
        deadline = time.monotonic() + 60
        while True:
            pod = commands.run_pod(self.identity, namespace=self.namespace, run_id=run.pk)
            if pod is None:
                return self.fail("The command's pod disappeared before it finished.")
            if pod.phase in ("Succeeded", "Failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        took = (timezone.now() - run.started_at).total_seconds() if run.started_at else 0
        if pod.phase == "Succeeded":
            message = f"Exited with code 0 after {took:.0f} s."
            self.emit(message)
            self.flush()
            services.command_status_set(
                run=run, status=CommandRun.Status.SUCCEEDED, message=message, exit_code=0
            )
            return message
        if pod.exit_code is not None:
            return self.fail(f"Exited with code {pod.exit_code} after {took:.0f} s.", exit_code=pod.exit_code)
        if pod.reason == "DeadlineExceeded":
            return self.fail(
                f"Stopped by the cluster after {settings.BERTH_RUN_TIME_LIMIT} s (BERTH_RUN_TIME_LIMIT)."
            )
        return self.fail(
            f"The command's pod ended {pod.phase}{' (' + pod.reason + ')' if pod.reason else ''}."
        )

    def complete(self, deployment: dict | None = None) -> bool:
        """Run the command to its end; whether it succeeded."""
        run = self.run
        if not run.is_finished:
            pod = self.start(deployment)
            if isinstance(pod, commands.RunPod):
                self.follow(pod)
                self.finish()
        return run.status == CommandRun.Status.SUCCEEDED


def _run_of(action: Action) -> CommandRun:
    return CommandRun.objects.get(pk=action.parameters["run_id"])


@action_task("deployment.command")
def deployment_command(action: Action) -> str:
    run = _run_of(action)
    runner = CommandRunner(run, action_identity(action))
    if run.kind == CommandRun.Kind.INTERACTIVE:
        if run.is_finished:
            raise ActionFailed(run.message)
        pod = runner.start()
        if not isinstance(pod, commands.RunPod):
            raise ActionFailed(pod)
        return f"Pod {pod.name} waits for the terminal."
    if not runner.complete():
        raise ActionFailed(f"`{run.command}` in {run.deployment}: {run.message}")
    return f"`{run.command}` in {run.deployment}: {run.message}"


def _hook(action: Action, deployment: dict, phase: str) -> CommandRun | None:
    """Run the deployment's ``phase`` hook from ``deployment``'s pod template (once per
    action: a retried action finds the run it started)."""
    hook = hooks.hooks_of(deployment).get(phase)
    if hook is None:
        return None
    key = f"{phase}_run_id"
    run = CommandRun.objects.filter(pk=action.parameters.get(key)).first()
    if run is None:
        run = services.command_run_record(
            user=action.requested_by,
            project=action.project,
            deployment=deployment["metadata"]["name"],
            container=hook.container or commands.container_names(deployment)[0],
            command=hook.command,
            kind=phase,
            credit=action.requested_by_name,
        )
        run.action = action
        run.save(update_fields=["action"])
        action.parameters[key] = run.pk
        action.save(update_fields=["parameters"])
    action_update(action=action, message=f"Running the {phase} hook: {hook.command}")
    CommandRunner(run, action_identity(action)).complete(deployment)
    return run


def release(action: Action, name: str, did: str) -> str:
    """Roll out what waits behind a deployment's pre-deploy hook: the hook from the new pod
    template, then the resume (or the old template back, if it failed), the rollout, and
    the post-deploy hook."""
    identity = action_identity(action)
    try:
        deployment = cluster_workloads.deployment_object(identity, namespace=action.project, name=name)
    except NotFound:
        raise _vanished(action) from None
    serving = hooks.pending(identity, namespace=action.project, deployment=deployment)
    found = hooks.hooks_of(deployment)
    if serving is not None and PRE in found:
        run = _hook(action, deployment, PRE)
        if run.status != CommandRun.Status.SUCCEEDED and found[PRE].failure_policy == "Abort":
            if serving:
                hooks.resume(identity, namespace=action.project, name=name, template=serving)
            keeps = "keeps serving its current version" if serving else "stays paused, not rolled out"
            raise ActionFailed(
                f"{did}, but its pre-deploy hook failed ({run.message}): {name} {keeps}. "
                f"The hook's log: {services.run_url(run)}"
            )
    if deployment["spec"].get("paused"):
        hooks.resume(identity, namespace=action.project, name=name)
    done = _rolled_out(action, did)
    if POST in found and serving is not None:
        rolled = cluster_workloads.deployment_object(identity, namespace=action.project, name=name)
        run = _hook(action, rolled, POST)
        if run.status != CommandRun.Status.SUCCEEDED and found[POST].failure_policy == "Abort":
            raise ActionFailed(
                f"{done} But its post-deploy hook failed ({run.message}): {services.run_url(run)}"
            )
    return done


@action_task("deployment.release")
def deployment_release(action: Action) -> str:
    return release(action, action.parameters["name"], "The new version of " + action.parameters["name"])


@action_task("deployment.hooks")
def deployment_hooks(action: Action) -> str:
    """The hooks' annotations, patched as the person (a metadata change: no rollout)."""
    name, identity = action.parameters["name"], action_identity(action)
    try:
        current = cluster_workloads.deployment_object(identity, namespace=action.project, name=name)
        containers = commands.container_names(current)
        kept = hooks.hooks_of(current)
        values = {}
        for phase, command in action.parameters["hooks"].items():
            before = kept.get(phase)
            container = before.container if before and before.container in containers else ""
            values[phase] = hooks.Hook(phase, command, container).annotation() if command else None
        cluster_workloads.deployment_annotate(
            identity,
            namespace=action.project,
            name=name,
            annotations={hooks.ANNOTATION[p]: v for p, v in values.items()},
        )
    except NotFound:
        raise _vanished(action) from None
    said = [f"{phase}: {command}" for phase, command in action.parameters["hooks"].items() if command]
    return f"Hooks of {name}: " + ("; ".join(said) if said else "none") + "."


def interactive_runs_expire() -> list[int]:
    """Interactive runs whose terminal never closed them (never opened, or Berth's process
    gone): past their deadline the cluster ended their pod; say so."""
    cutoff = timezone.now() - timedelta(seconds=settings.BERTH_RUN_INTERACTIVE_SECONDS + 60)
    ended = []
    for run in CommandRun.objects.filter(kind=CommandRun.Kind.INTERACTIVE, created_at__lt=cutoff).exclude(
        status__in=CommandRun.FINISHED
    ):
        services.command_status_set(
            run=run,
            status=CommandRun.Status.FAILED,
            message=f"No terminal ended it: the cluster stopped its pod after "
            f"{settings.BERTH_RUN_INTERACTIVE_SECONDS} s (BERTH_RUN_INTERACTIVE_SECONDS).",
        )
        ended.append(run.pk)
    return ended


watchdog(settings.BERTH_BUILD_QUEUE, "interactive-runs-watchdog", interactive_runs_expire, interval=60.0)
