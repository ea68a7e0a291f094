"""Celery work for builds: detect, start (run and follow), cancel.

``build.start`` reads the source in a pod of the project (git's output is the
start of the log), detects the plan, creates the Job as the person, then follows
the build pod's log through the API as the person: each batch of lines is stored
with its sequence numbers, *then* published to the group ``build-<id>``.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_send, action_update
from actions.tasks import ActionFailed, action_identity, action_task, watchdog
from builds import cluster as cluster_builds
from builds import services
from builds.backends import new_builder
from builds.detect import Dockerfiles, dockerfiles_for, why_not_incremental
from builds.models import Build, BuildConfig
from builds.source import Checkout, SourceError, checkout_from
from images import registry
from kube import ClusterError
from kube.streams import IDLE, container_log_follow
from networking import cluster as cluster_networking
from networking import hosts
from projects import selectors as project_selectors
from projects.roles import role_at_least
from workloads import services as workload_services

logger = logging.getLogger(__name__)

FLUSH_LINES = 500
FLUSH_SECONDS = 0.05
CANCEL_CHECK_SECONDS = 0.5
HEARTBEAT_SECONDS = 5


def _checkout(config: BuildConfig, git_ref: str, *, identity, builder, emit, flush=None) -> Checkout:
    """Read ``git_ref`` of the config's repository in the project, as the person, and
    plan the build from it; git's output goes to ``emit`` (and out with ``flush``)."""
    emit(f"Reading {config.git_uri}" + (f" at {git_ref}" if git_ref else " (default branch)"))
    if flush is not None:
        flush()  # shown now, not with the source pod's output seconds later
    read = builder.read_source(identity, namespace=config.project, config=config, git_ref=git_ref)
    for line in read.output:
        emit(line)
    if read.commit:
        emit(f"Commit {read.commit}: {read.message}")
    return checkout_from(
        read, env=config.env, strategy=config.strategy, dockerfile_path=config.dockerfile_path
    )


@action_task("build.detect")
def build_detect(action: Action) -> str:
    config = BuildConfig.objects.filter(pk=action.parameters["config_id"]).first()
    if config is None:
        return "The build config no longer exists."
    output: list[str] = []
    try:
        checkout = _checkout(
            config,
            config.git_ref,
            identity=action_identity(action),
            builder=new_builder(config.project),
            emit=output.append,
        )
    except SourceError as exc:
        detail = " ".join(line for line in output[1:] if line.strip())[-400:]
        message = f"{exc} {detail}".strip()
        services.build_config_plan_set(config=config, plan=None, error=message)
        raise ActionFailed(message) from exc
    services.build_config_plan_set(config=config, plan=checkout.plan, commit=checkout.commit)
    if checkout.plan is None:
        return f"{config.name}: the repository's Dockerfile will be built."
    return f"{config.name} at {checkout.commit[:12]}: {checkout.plan.summary()}"


class _Cancelled(Exception):
    pass


class BuildRun:
    """One attempt at running a build; safe to repeat (the Job is reused)."""

    def __init__(self, build: Build, action: Action):
        self.build = build
        self.config = build.config
        self.action = action
        self.identity = action_identity(action)
        self.namespace = self.config.project
        self.pending: list[str] = []
        self.last_flush = time.monotonic()
        self.last_cancel_check = 0.0
        self.last_heartbeat = 0.0
        # Where the stored log ends in the pod's log (see Build.log_timestamp).
        self.position: tuple[str, str, int] | None = None

    # Log -------------------------------------------------------------
    def emit(self, line: str) -> None:
        self.pending.append(line)
        now = time.monotonic()
        if len(self.pending) >= FLUSH_LINES or now - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def emit_pod_line(self, container: str, stamp: str, line: str) -> None:
        """A line of the build pod's log, with the kubelet's timestamp: the position moves."""
        same = self.position is not None and self.position[:2] == (container, stamp)
        self.position = (container, stamp, self.position[2] + 1 if same else 1)
        self.emit(line)

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if self.pending:
            lines, self.pending = self.pending, []
            services.build_log_append(build=self.build, lines=lines, position=self.position)
            self.last_heartbeat = time.monotonic()
        elif time.monotonic() - self.last_heartbeat > HEARTBEAT_SECONDS:
            self.heartbeat()

    def heartbeat(self) -> None:
        """This worker still follows the build (orphaned_builds_requeue takes over stale ones)."""
        self.last_heartbeat = time.monotonic()
        services.build_heartbeat(build=self.build)

    def check_cancel(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_cancel_check < CANCEL_CHECK_SECONDS:
            return
        self.last_cancel_check = now
        if Build.objects.filter(pk=self.build.pk, cancel_requested=True).exists():
            raise _Cancelled

    def fail(self, message: str) -> ActionFailed:
        self.emit(f"\x1b[31merror:\x1b[0m {message}")
        self.flush()
        services.build_status_set(build=self.build, status=Build.Status.FAILED, message=message)
        return ActionFailed(f"{self.build.name} failed: {message}")

    # Steps -----------------------------------------------------------
    def run(self) -> str:
        try:
            return self._run()
        except _Cancelled:
            self.flush()
            self.build.refresh_from_db(fields=["status"])
            if not self.build.is_finished:
                self.emit("Build cancelled.")
                self.flush()
                services.build_status_set(
                    build=self.build, status=Build.Status.CANCELLED, message="Cancelled."
                )
            return f"{self.build.name} was cancelled."
        except ClusterError as exc:
            raise self.fail(str(exc)) from exc

    def _run(self) -> str:
        config, build = self.config, self.build
        self.check_cancel(force=True)
        self.heartbeat()
        builder = new_builder(self.namespace)
        if build.pod_name and build.status == Build.Status.RUNNING and builder.timestamps:
            return self._resume(builder)
        if build.last_seq:
            self.emit("-- the worker restarted this build; continuing --")
        try:
            checkout = _checkout(
                config,
                build.git_ref,
                identity=self.identity,
                builder=builder,
                emit=self.emit,
                flush=self.flush,
            )
        except SourceError as exc:
            services.build_config_plan_set(config=config, plan=None, error=str(exc))
            raise self.fail(str(exc)) from exc
        dockerfiles = Dockerfiles(app="")
        if checkout.plan is not None:
            plan = checkout.plan
            services.build_config_plan_set(config=config, plan=plan, commit=checkout.commit)
            for warning in plan.warnings:
                self.emit(f"\x1b[33mwarning:\x1b[0m {warning}")
            self.emit(f"Plan: {plan.summary()}")
            if plan.run.kind == "none":
                raise self.fail("Nothing to run: " + (" ".join(plan.warnings) or "no way to start the app."))
            dockerfiles = dockerfiles_for(
                plan,
                builder_image=config.builder_image,
                build_args=[name for name, _ in cluster_builds.build_args()],
                incremental_build=config.incremental,
            )
            if dockerfiles.dependencies:
                self.emit("Generated Dockerfile of the dependencies (reused while they stay the same):")
                for line in dockerfiles.dependencies.splitlines():
                    self.emit(f"  {line}")
            elif config.incremental and plan.install.tool:
                self.emit(f"Dependencies are installed in every build: {why_not_incremental(plan)}.")
            self.emit("Generated Dockerfile:")
            for line in dockerfiles.app.splitlines():
                self.emit(f"  {line}")
        build.commit, build.commit_message = checkout.commit, checkout.message
        build.plan = checkout.plan.to_dict() if checkout.plan else None
        build.save(update_fields=["commit", "commit_message", "plan"])
        self.flush()
        self.check_cancel(force=True)

        spec = cluster_builds.BuildSpec(
            build_id=build.pk,
            name=build.name,
            config_name=config.name,
            git_uri=config.git_uri,
            commit=checkout.commit,
            context_dir=config.context_dir,
            dockerfile=dockerfiles.app,
            dockerfile_path=config.dockerfile_path,
            output_image=build.output_image,
            post_commit=config.post_commit,
            source_secret=config.source_secret,
            push_config=self._registry_credentials(builder),
            **builder.placement,
            dependencies_dockerfile=dockerfiles.dependencies,
            builder_image=config.builder_image,
            dependency_files=checkout.plan.install.files if dockerfiles.dependencies else (),
        )
        services.build_status_set(build=build, status=Build.Status.PENDING)
        job = cluster_builds.build_job_create(self.identity, namespace=self.namespace, spec=spec)
        self.emit(f"Created Job {job} in {self.namespace}.")
        self.flush()
        pod = cluster_builds.build_pod_wait(
            self.identity, namespace=self.namespace, build_id=build.pk, job=job
        )
        builder.begin(
            namespace=self.namespace,
            pod=pod.name,
            spec=spec,
            dockerfile=dockerfiles.app,
            post_commit=config.post_commit,
            output_repository=config.output_repository,
        )
        services.build_status_set(
            build=build, status=Build.Status.RUNNING, pod_name=pod.name, simulated=builder.simulated
        )
        try:
            for container in builder.containers:
                self._follow(pod.name, container, builder)
        finally:
            builder.end()
        self.flush()
        return self._finish(builder)

    def _registry_credentials(self, builder) -> str:
        """With Berth as the registry's token service: the build pod's push credential
        (its one repository), and the project's pull secret for its pods."""
        if builder.simulated or not registry.enabled():
            return ""
        cluster_builds.pull_secret_ensure(
            self.identity,
            namespace=self.namespace,
            name=registry.PULL_SECRET,
            docker_config=registry.docker_config(
                username=registry.PULL_USER, password=registry.pull_credential(project=self.namespace)
            ),
        )
        repository = self.config.output_repository.removeprefix(f"{settings.BERTH_BUILD_REGISTRY}/")
        return registry.docker_config(
            username=registry.BUILD_USER, password=registry.build_credential(repository=repository)
        )

    def _resume(self, builder) -> str:
        """Another worker followed this build and is gone: follow on from the last
        stored line of the pod's log, then finish as usual."""
        build = self.build
        if build.log_container:
            self.position = (build.log_container, build.log_timestamp, build.log_timestamp_lines)
        self.emit("-- Berth's worker changed; following the build on from its last stored line --")
        self.flush()
        stored = build.log_container
        after = builder.containers.index(stored) if stored in builder.containers else 0
        try:
            for index, container in enumerate(builder.containers):
                if index < after:
                    continue
                since = (build.log_timestamp, build.log_timestamp_lines) if index == after else None
                self._follow(build.pod_name, container, builder, since=since)
        finally:
            builder.end()
        self.flush()
        return self._finish(builder)

    def _follow(self, pod: str, container: str, builder, since: tuple[str, int] | None = None) -> None:
        """Store the container's log as it comes. ``since`` (a timestamp, and how many
        lines of that timestamp are stored already) skips what an earlier worker stored."""
        since_seconds = skip_before = None
        skip_at = 0
        if since and since[0]:
            skip_before = cluster_builds.log_stamp(since[0])
            skip_at = since[1]
            since_seconds = max(1, int(time.time() - skip_before / 1e9) + 2)
        follow = container_log_follow(
            self.identity,
            namespace=self.namespace,
            pod=pod,
            container=container,
            timestamps=builder.timestamps,
            since_seconds=since_seconds,
            read_timeout=settings.ACTION_TIME_LIMIT,
        )
        if follow is None:
            return  # the container never ran: the pod's status says why (see _finish)
        received = 0
        idle_since = None
        try:
            for item in follow:
                self.check_cancel()
                if item is not IDLE and builder.timestamps:
                    stamp, _, line = item.partition(" ")
                    moment = cluster_builds.log_stamp(stamp)
                    if skip_before is not None and (
                        moment < skip_before or (moment == skip_before and skip_at > 0)
                    ):
                        skip_at -= moment == skip_before
                        continue
                    idle_since = None
                    received += 1
                    self.emit_pod_line(container, stamp, line)
                    continue
                if item is IDLE:
                    self.flush()
                    if builder.simulated:
                        if builder.caught_up(received):
                            return
                        continue
                    # A real kubelet ends the stream when the container exits; this
                    # is a guard for streams that stay open after the pod finished.
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > 5:
                        current = cluster_builds.build_pod(
                            self.identity, namespace=self.namespace, build_id=self.build.pk
                        )
                        if current is None or current.phase in ("Succeeded", "Failed"):
                            return
                        idle_since = time.monotonic()
                    continue
                idle_since = None
                received += 1
                self.emit(item)
        finally:
            follow.close()

    def _finish(self, builder) -> str:
        build = self.build
        self.check_cancel(force=True)
        deadline = time.monotonic() + 60
        while True:
            pod = cluster_builds.build_pod(self.identity, namespace=self.namespace, build_id=build.pk)
            if pod is None:
                raise self.fail("The build pod disappeared before it finished.")
            if pod.phase in ("Succeeded", "Failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
            self.check_cancel()
        if pod.phase != "Succeeded":
            reason = f"exit code {pod.exit_code}" if pod.exit_code is not None else pod.phase
            raise self.fail(
                f"The build pod ended with {reason}{' (' + pod.reason + ')' if pod.reason else ''}."
            )
        digest = builder.digest(namespace=self.namespace, pod=pod)
        if not digest:
            raise self.fail("The builder did not report the pushed image's digest.")
        build.image_digest = digest
        tag = services.image_tag_record(build=build)
        self.emit(f"Image {tag.image}")
        try:
            changed, gated = cluster_builds.deployments_follow_image(
                self.identity, namespace=self.namespace, stream_tag=self.config.stream_tag, image=tag.image
            )
            workload_services.deployment_release_start(
                action=self.action, names=gated, why=f"the image of {self.build.name}"
            )
        except ClusterError as exc:
            changed, gated = [], []
            self.emit(
                f"\x1b[33mwarning:\x1b[0m could not update the deployments that follow the image: {exc}"
            )
        tag.rolled_out_to = changed
        tag.save(update_fields=["rolled_out_to"])
        for name in changed:
            self.emit(
                f"deployment/{name} rolls out the new image after its hooks (a release action runs them)."
                if name in gated
                else f"Rolling out the new image to deployment/{name}."
            )
        for started in services.builder_image_changed(
            project=self.namespace, image=self.config.output_image, changed_by=self.config
        ):
            self.emit(f"{started.config.name} builds on this image: starting {started.name}.")
        self.flush()
        self.check_cancel(force=True)
        services.build_status_set(
            build=build, status=Build.Status.COMPLETE, message="Complete.", image_digest=digest
        )
        return f"{build.name} is complete: {tag.image}" + (
            f"; rolling out {', '.join(changed)}" if changed else ""
        )


@action_task("build.start")
def build_start(action: Action) -> str:
    build = Build.objects.select_related("config").filter(pk=action.parameters["build_id"]).first()
    if build is None:
        return "The build no longer exists."
    if build.is_finished:
        return f"{build.name} is {build.status.lower()} already."
    return BuildRun(build, action).run()


@action_task("build.cancel")
def build_cancel(action: Action) -> str:
    build = Build.objects.select_related("config").filter(pk=action.parameters["build_id"]).first()
    if build is None:
        return "The build no longer exists."
    identity = action_identity(action)
    # Deleting the Job and its pod as the person who cancelled: the cluster decides.
    cluster_builds.build_job_delete(
        identity, namespace=build.config.project, build_id=build.pk, name=build.name
    )
    build.refresh_from_db()
    if not build.is_finished:
        services.build_status_set(build=build, status=Build.Status.CANCELLED, message="Cancelled.")
    elif build.status != Build.Status.CANCELLED:
        return f"{build.name} had finished ({build.status}) before it could be cancelled; its Job is deleted."
    return f"{build.name} is cancelled."


def _editor_project(action: Action, what: str):
    """The action's project with the person's role now, not when they asked."""
    try:
        project = project_selectors.project_get(user=action.requested_by, name=action.project)
    except ClusterError as exc:
        raise ActionFailed(str(exc)) from None
    if not role_at_least(project.my_role, "edit"):
        raise ActionFailed(f"{what} needs the edit role in {project.name}; you have {project.my_role}.")
    return project


@action_task("buildconfig.update")
def build_config_update(action: Action) -> str:
    params = action.parameters
    project = _editor_project(action, "Changing a build config")
    config = BuildConfig.objects.filter(project=action.project, name=params["name"]).first()
    if config is None:
        raise ActionFailed(f"The build config {params['name']} no longer exists.")
    if services.config_version(config) != params["version"]:
        raise ActionFailed(
            f"Someone else changed {config.name} since you previewed your change, so nothing was saved. "
            "Edit it again to see theirs."
        )
    try:
        services.build_config_update(
            user=action.requested_by, project=project, config=config, data=params["data"]
        )
    except Refused as exc:
        raise ActionFailed(str(exc)) from None
    building = ""
    if config.trigger_config_change:
        not_started = getattr(config, "build_not_started", "")
        building = (
            f" No build started: {not_started}"
            if not_started
            else " A build started (it builds when its config changes)."
        )
    return f"Build config {config.name} saved.{building}"


@action_task("buildconfig.delete")
def build_config_delete(action: Action) -> str:
    name = action.parameters["name"]
    _editor_project(action, "Deleting a build config")
    config = BuildConfig.objects.filter(project=action.project, name=name).first()
    if config is None:
        return f"Build config {name} was gone already."
    running = services.running_build(config)
    if running is not None:
        raise ActionFailed(f"Build #{running.number} of {name} started meanwhile: nothing was deleted.")
    builds = config.builds.count()
    config.delete()
    return f"Build config {name} deleted with its {builds} build(s) and their logs."


@action_task("app.import")
def app_import(action: Action) -> str:
    """The Deployment following the config's image, its Service and Route, then the
    first build; the person lands on the build's page."""
    config = BuildConfig.objects.filter(pk=action.parameters["config_id"]).first()
    if config is None:
        raise ActionFailed("The build config was deleted meanwhile: nothing was created.")
    identity, namespace, name = action_identity(action), action.project, config.name
    # The plan first, from the source read in the project: nothing is created for an
    # app that would not start, and the person sees the plan's warnings before the build.
    action_update(action=action, progress=5, message=f"Reading {config.git_uri} in a pod of {namespace}")
    output: list[str] = []
    try:
        checkout = _checkout(
            config, config.git_ref, identity=identity, builder=new_builder(namespace), emit=output.append
        )
    except SourceError as exc:
        services.build_config_plan_set(config=config, plan=None, error=str(exc))
        detail = " ".join(output[-3:])[-400:]
        raise ActionFailed(f"{exc} {detail}".strip() + " Nothing else was created.") from exc
    plan = checkout.plan
    services.build_config_plan_set(config=config, plan=plan, commit=checkout.commit)
    warnings = " ".join(f"Warning: {w}" for w in (plan.warnings if plan else []))
    if plan is not None and plan.run.kind == "none":
        raise ActionFailed(f"Nothing would run: {warnings} Nothing else was created.")
    port = int(action.parameters.get("port") or (plan.run.port if plan else 8080))
    action_update(
        action=action,
        progress=20,
        message=f"{plan.summary() if plan else 'the Dockerfile'}; creating the deployment {name} "
        f"(port {port}), following {config.stream_tag}",
    )
    cluster_builds.following_deployment_create(
        identity,
        namespace=namespace,
        name=name,
        image=config.output_image,
        stream_tag=config.stream_tag,
        port=port,
    )
    action_update(action=action, progress=40, message=f"Creating the service {name}")
    service_port = cluster_networking.service_ensure(
        identity, namespace=namespace, name=name, selector={"app": name}, port=port
    )
    url = ""
    if action.parameters.get("expose"):
        action_update(action=action, progress=60, message=f"Creating the route {name}")
        host = cluster_networking.default_host(
            name=name, project=namespace, domain=settings.BERTH_APPS_DOMAIN
        )
        spec = cluster_networking.RouteSpec(
            name=name, host=host, path="", service=name, port=str(service_port.port)
        )
        try:
            hosts.route_create(identity, namespace=namespace, spec=spec)
        except hosts.HostTaken as exc:
            raise ActionFailed(f"{name} is set up, but its route could not be made: {exc}") from None
        url = cluster_networking.route_get(identity, namespace=namespace, name=name).url
    action_update(action=action, progress=80, message=f"Starting the first build of {name}")
    try:
        build = services.build_start(
            user=action.requested_by, config=config, trigger=Build.Trigger.CONFIG_CHANGE, check_plan=False
        )
    except Refused as exc:
        raise ActionFailed(f"{name} is set up, but its first build could not start: {exc}") from exc
    action.parameters["next"] = reverse(
        "builds:build", kwargs={"name": namespace, "config": name, "number": build.number}
    )
    action.save(update_fields=["parameters"])
    return (
        f"{name}: building {build.name} ({plan.summary() if plan else 'from its Dockerfile'}); "
        f"the deployment follows {config.stream_tag}"
        + (f" and will answer at {url}." if url else ".")
        + (f" {warnings}" if warnings else "")
    )


# A worker that dies mid-build (killed, its machine gone) leaves the build Running with a
# stale heartbeat; the message would come back only after the broker's visibility timeout
# (hours). Every build worker looks for such builds and takes them over.


def orphaned_builds_requeue() -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=settings.BERTH_BUILD_ORPHAN_SECONDS)
    requeued = []
    for build in Build.objects.filter(
        status__in=[Build.Status.PENDING, Build.Status.RUNNING],
        heartbeat_at__lt=cutoff,
        action__state=Action.State.RUNNING,
    ):
        # Claimed by whoever moves the heartbeat first: one worker takes a build over.
        if Build.objects.filter(pk=build.pk, heartbeat_at=build.heartbeat_at).update(
            heartbeat_at=timezone.now()
        ):
            logger.warning("build %s lost its worker; taking it over", build.pk)
            # Queued again, so that the next worker's claim takes it (run_action runs an
            # action that is Queued, once).
            Action.objects.filter(pk=build.action_id, state=Action.State.RUNNING).update(
                state=Action.State.QUEUED
            )
            if action_send(build.action):  # else tried again after the cutoff
                requeued.append(build.pk)
    return requeued


watchdog(settings.BERTH_BUILD_QUEUE, "build-watchdog", orphaned_builds_requeue, interval=15.0)
