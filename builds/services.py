"""Writes on build configs and builds. Cluster work happens in builds.tasks."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from actions.events import publish
from actions.models import Action
from actions.refusal import Refused
from actions.services import action_start
from builds.cluster import source_secret_problem
from builds.detect import DetectionError, Plan
from builds.models import (
    CONFIG_FIELDS,
    Build,
    BuildConfig,
    BuildConfigRevision,
    BuildLogLine,
    ImageTag,
    WebhookDelivery,
)
from builds.source import git_ref_problem, git_url_problem
from console import logstore
from console.status import status_class
from kube import NotFound, identity_for_user
from projects.access import require_role
from projects.models import ProjectRecord
from workloads import cluster as workloads_cluster
from workloads.diff import Change

logger = logging.getLogger(__name__)


def default_output_image(*, project: str, name: str) -> str:
    registry = settings.BERTH_BUILD_REGISTRY
    return f"{registry}/{project}/{name}:latest"


def new_secret() -> str:
    return secrets.token_urlsafe(24)


_REPOSITORY_TAG = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[\w][\w.-]{0,127})?$")


def output_image_problem(image: str, *, project: str) -> str | None:
    """Builds push only into the project's own repositories of the integrated registry."""
    prefix = f"{settings.BERTH_BUILD_REGISTRY}/{project}/"
    if not image.startswith(prefix) or not _REPOSITORY_TAG.match(image.removeprefix(prefix)):
        return (
            f"A build's output goes to this project's repositories: {prefix}<name>[:tag], or leave it empty."
        )
    return None


def check_config(data: dict[str, Any], *, project: str) -> None:
    """The checks that need no checkout: raise Refused naming the field."""
    if data.get("output_image"):
        problem = output_image_problem(data["output_image"], project=project)
        if problem:
            raise Refused(problem, field="output_image")
    problem = git_url_problem(data["git_uri"])
    if problem:
        raise Refused(problem, field="git_uri")
    problem = git_ref_problem(data.get("git_ref", ""))
    if problem:
        raise Refused(problem, field="git_ref")
    env = data.get("env") or {}
    if env.get("ENABLE_PIPENV") and env.get("ENABLE_MICROPIPENV"):
        raise Refused(
            "ENABLE_PIPENV and ENABLE_MICROPIPENV are both set: the Python builder uses one or the "
            "other. Remove one of them.",
            field="env",
        )


def _check_source_secret(user, project, data: dict[str, Any]) -> None:
    if data.get("source_secret"):
        problem = source_secret_problem(
            identity_for_user(user), namespace=project.name, name=data["source_secret"]
        )
        if problem:
            raise Refused(problem, field="source_secret")


def _record_revision(config: BuildConfig, user) -> None:
    """Keep the spec in the history, without the webhook secrets: a rotated secret must not
    live on in an older revision."""
    BuildConfigRevision.objects.create(
        config=config, spec=config.to_openshift(secrets=False)["spec"], changed_by_name=user.get_username()
    )


def _queue_detection(config: BuildConfig, user) -> Action:
    return action_start(
        kind="build.detect",
        user=user,
        project=config.project,
        target=f"buildconfig/{config.name}",
        parameters={
            "config_id": config.pk,
            "next": reverse("builds:config", kwargs={"name": config.project, "config": config.name}),
        },
    )


@transaction.atomic
def build_config_create(*, user, project, name: str, data: dict[str, Any]) -> BuildConfig:
    require_role(project, "edit", "Creating a build config")
    check_config(data, project=project.name)
    _check_source_secret(user, project, data)
    if BuildConfig.objects.filter(project=project.name, name=name).exists():
        raise Refused(f"A build config named {name} exists already in this project.", field="name")
    values = {k: data[k] for k in CONFIG_FIELDS if k in data}
    values["builder_image"] = values.get("builder_image") or settings.BERTH_BUILD_DEFAULT_BUILDER_IMAGE
    if not values.get("output_image"):
        values["output_image"] = default_output_image(project=project.name, name=name)
    config = BuildConfig.objects.create(
        project=project.name,
        name=name,
        github_secret=new_secret(),
        generic_secret=new_secret(),
        updated_by=user,
        **values,
    )
    _config_changed(config=config, user=user, project=project)
    return config


def _config_changed(*, config: BuildConfig, user, project) -> None:
    """A new spec: keep it in the history, read the source again, and build if the config asks to.

    The change is saved even when the project already runs its most builds at once; then
    ``config.build_not_started`` says why no build started, for the page or action to say.
    """
    _record_revision(config, user)
    _queue_detection(config, user)
    if config.trigger_config_change:
        try:
            build_start(
                user=user,
                config=config,
                project=project,
                trigger=Build.Trigger.CONFIG_CHANGE,
                check_plan=False,
            )
        except BuildLimitReached as exc:
            config.build_not_started = str(exc)


class BuildLimitReached(Refused):
    """The project runs ``BERTH_PROJECT_BUILDS_AT_ONCE`` builds already."""


def check_build_limit(project: str) -> None:
    """Refuse a build in a project that runs its most builds at once: one project's builds
    never take the whole builder pool from the others."""
    limit = settings.BERTH_PROJECT_BUILDS_AT_ONCE
    running = Build.objects.filter(config__project=project).exclude(status__in=Build.FINISHED).count()
    if running >= limit:
        raise BuildLimitReached(
            f"{project} has {running} builds waiting or running, the most one project may have at once "
            f"(BERTH_PROJECT_BUILDS_AT_ONCE = {limit}). Start it again once one has finished, or cancel one."
        )


def config_version(config: BuildConfig) -> str:
    """What the edit form was opened on: a digest of the config's spec. A different one
    at saving time means someone else changed it meanwhile."""
    spec = json.dumps(config.to_openshift()["spec"], sort_keys=True)
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value) if value not in (None, "") else "—"


def build_config_changes(config: BuildConfig, data: dict[str, Any]) -> list[Change]:
    """What saving ``data`` would change, field by field (each env variable on its own)."""
    found: list[Change] = []
    for key in CONFIG_FIELDS:
        if key not in data:
            continue
        before, after = getattr(config, key), data[key]
        if key == "output_image" and not after:
            after = default_output_image(project=config.project, name=config.name)
        if key == "env":
            for name in sorted(before.keys() | after.keys()):
                if before.get(name) != after.get(name):
                    found.append(
                        Change(
                            "build config", f"env {name}", _shown(before.get(name)), _shown(after.get(name))
                        )
                    )
        elif before != after:
            found.append(Change("build config", key.replace("_", " "), _shown(before), _shown(after)))
    return found


@transaction.atomic
def build_config_update(*, user, project, config: BuildConfig, data: dict[str, Any]) -> BuildConfig:
    require_role(project, "edit", "Changing a build config")
    check_config(data, project=project.name)
    _check_source_secret(user, project, data)
    before = config.to_openshift()["spec"]
    for key in CONFIG_FIELDS:
        if key in data:
            setattr(config, key, data[key])
    if not config.output_image:
        config.output_image = default_output_image(project=project.name, name=config.name)
    config.updated_by = user
    # Only what a person sets: the build counter moves on its own (a build started since
    # this copy was read must not be numbered again).
    config.save(update_fields=[*CONFIG_FIELDS, "updated_by", "updated_at"])
    if config.to_openshift()["spec"] == before:
        return config
    _config_changed(config=config, user=user, project=project)
    return config


def build_config_edit(*, user, project, config: BuildConfig, data: dict[str, Any], version: str) -> Action:
    """Queue saving ``data`` (checked here first, so a refusal shows at its field) as an
    action as the person; ``version`` is the config the person previewed against: the
    task saves nothing if it changed meanwhile."""
    require_role(project, "edit", "Changing a build config")
    check_config(data, project=project.name)
    _check_source_secret(user, project, data)
    return action_start(
        kind="buildconfig.update",
        user=user,
        project=project.name,
        target=f"buildconfig/{config.name}",
        parameters={
            "name": config.name,
            "data": data,
            "version": version,
            "next": reverse("builds:config", kwargs={"name": project.name, "config": config.name}),
        },
    )


def running_build(config: BuildConfig) -> Build | None:
    return config.builds.exclude(status__in=Build.FINISHED).order_by("number").first()


def build_config_delete(*, user, project, config: BuildConfig) -> Action:
    """Delete a build config with its builds, logs, image history and webhook deliveries
    (an action: it joins the project's activity). Refused while one of its builds runs:
    its pod would push an image nobody then knows of. Images in the registry stay."""
    require_role(project, "edit", "Deleting a build config")
    running = running_build(config)
    if running is not None:
        raise Refused(
            f"Build #{running.number} of {config.name} is {running.status.lower()}: "
            "cancel it or let it finish, then delete the config."
        )
    return action_start(
        kind="buildconfig.delete",
        user=user,
        project=project.name,
        target=f"buildconfig/{config.name}",
        parameters={"name": config.name, "next": reverse("builds:list", kwargs={"name": project.name})},
    )


def build_config_detect(*, user, project, config: BuildConfig) -> Action:
    require_role(project, "edit", "Reading the source again")
    return _queue_detection(config, user)


def build_config_secret_rotate(*, user, project, config: BuildConfig) -> BuildConfig:
    require_role(project, "admin", "Rotating the webhook secrets")
    config.github_secret = new_secret()
    config.generic_secret = new_secret()
    config.save(update_fields=["github_secret", "generic_secret", "updated_at"])
    BuildConfigRevision.objects.create(
        config=config, spec={"note": "webhook secrets rotated"}, changed_by_name=user.get_username()
    )
    return config


def build_config_plan_set(
    *, config: BuildConfig, plan: Plan | None, error: str = "", commit: str = ""
) -> None:
    config.plan = plan.to_dict() if plan else None
    config.plan_error = error
    config.plan_commit = commit
    config.plan_detected_at = timezone.now()
    # An update, not save(): a config deleted meanwhile stays deleted.
    BuildConfig.objects.filter(pk=config.pk).update(
        plan=config.plan,
        plan_error=error,
        plan_commit=commit,
        plan_detected_at=config.plan_detected_at,
    )


def plan_problem(config: BuildConfig) -> str | None:
    """What the newest detection says makes a build pointless, or None."""
    if config.strategy != BuildConfig.Strategy.SOURCE:
        return None
    if config.plan_error:
        return config.plan_error
    if config.plan:
        try:
            plan = Plan.from_dict(config.plan)
        except DetectionError as exc:
            return str(exc)
        if plan.run.kind == "none":
            warnings = " ".join(plan.warnings) or "No way to start the app was found."
            return f"Nothing to run: {warnings}"
    return None


@transaction.atomic
def build_start(
    *,
    user,
    config: BuildConfig,
    project=None,
    trigger: str = Build.Trigger.MANUAL,
    git_ref: str = "",
    check_plan: bool = True,
) -> Build:
    """Number a new build of ``config`` and queue it, as ``user``.

    ``project`` (with the person's role) is given for builds started in the
    console; webhooks give none: the secret is their authority, and the build
    runs as the person who last saved the config, so the cluster still decides.
    """
    if project is not None:
        require_role(project, "edit", "Starting a build")
    if user is None:
        raise Refused("Nobody can run this build: whoever saved the config last has no account any more.")
    if check_plan:
        problem = plan_problem(config)
        if problem:
            raise Refused(problem)
    # A build nobody started by hand is the trigger's, run as whoever last saved the config.
    credit = user.get_username()
    if trigger in (Build.Trigger.GITHUB, Build.Trigger.GENERIC, Build.Trigger.IMAGE_CHANGE):
        credit = f"{Build.Trigger(trigger).label}, as {credit} (who last saved the config)"
    with transaction.atomic():
        # The project's record is the lock: two starts at once cannot both pass the limit.
        ProjectRecord.objects.select_for_update().filter(name=config.project).first()
        check_build_limit(config.project)
        BuildConfig.objects.filter(pk=config.pk).update(next_number=F("next_number") + 1)
        config.refresh_from_db(fields=["next_number"])
        number = config.next_number - 1
        build = Build.objects.create(
            config=config,
            number=number,
            trigger=trigger,
            requested_by=user,
            requested_by_name=credit,
            git_ref=git_ref or config.git_ref,
            output_image=config.output_image,
        )
    build.action = action_start(
        kind="build.start",
        user=user,
        project=config.project,
        target=f"build/{build.name}",
        credit=credit,
        parameters={
            "build_id": build.pk,
            "next": reverse(
                "builds:build", kwargs={"name": config.project, "config": config.name, "number": number}
            ),
        },
    )
    build.save(update_fields=["action"])
    return build


def build_cancel(*, user, project, build: Build) -> Action:
    require_role(project, "edit", "Cancelling a build")
    if build.is_finished:
        raise Refused(f"{build.name} is {build.status.lower()} already.")
    Build.objects.filter(pk=build.pk).update(cancel_requested=True)
    return action_start(
        kind="build.cancel",
        user=user,
        project=project.name,
        target=f"build/{build.name}",
        parameters={"build_id": build.pk},
    )


# Log and status: stored first, then published (the websocket refers to stored lines).


def build_log_append(*, build: Build, lines: list[str], position: tuple[str, str, int] | None = None) -> int:
    """Store ``lines`` after the build's last sequence number, then tell the viewers.

    ``position`` — (container, timestamp, lines at that timestamp) in the pod's log after
    these lines — is stored in the same transaction, so it always matches the lines."""
    if not lines:
        return build.last_seq
    fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if position is not None:
        fields.update(zip(("log_container", "log_timestamp", "log_timestamp_lines"), position, strict=True))
    limit = settings.BERTH_BUILD_LOG_BYTES
    return logstore.append(
        owner=build,
        line_model=BuildLogLine,
        owner_field="build",
        lines=lines,
        limit=limit,
        marker=f"[Berth: the log stops here: {limit:,} bytes are kept of a build's log "
        "(BERTH_BUILD_LOG_BYTES). The build goes on.]",
        group=build.group_name,
        fields=fields,
    )


def build_heartbeat(*, build: Build) -> None:
    Build.objects.filter(pk=build.pk).update(heartbeat_at=timezone.now())


def build_status_set(*, build: Build, status: str, message: str | None = None, **fields: Any) -> None:
    # Only what changed: cancel_requested and last_seq are written by others meanwhile.
    logstore.status_set(
        build,
        status=status,
        running=Build.Status.RUNNING,
        finished=Build.FINISHED,
        message=message,
        fields=fields,
    )
    _publish(build, status_event(build))


def status_event(build: Build) -> dict[str, Any]:
    return {
        "type": "log.status",
        "status": build.status,
        "status_class": status_class(build.status),
        "message": build.message,
        "finished": build.is_finished,
        "commit": build.commit,
        "digest": build.image_digest,
        "started": build.started_at.strftime("%H:%M:%S") if build.started_at else "",
        "finished_at": build.finished_at.strftime("%H:%M:%S") if build.finished_at else "",
    }


def _publish(build: Build, event: dict[str, Any]) -> None:
    publish(build.group_name, event)


def image_tag_record(*, build: Build) -> ImageTag:
    config = build.config
    tag = config.stream_tag.split(":", 1)[1]
    image = f"{config.output_repository}@{build.image_digest}"
    return ImageTag.objects.create(
        config=config, build=build, tag=tag, image=image, digest=build.image_digest
    )


# Webhooks


def webhook_delivery_record(
    *,
    config: BuildConfig,
    delivery_id: str,
    kind: str,
    event: str,
    status_code: int,
    outcome: str,
    remote_addr: str,
    build: Build | None = None,
) -> WebhookDelivery | None:
    """Record a delivery; None when this delivery id was seen before (a replay)."""
    try:
        with transaction.atomic():
            return WebhookDelivery.objects.create(
                config=config,
                delivery_id=delivery_id[:100],
                kind=kind,
                event=event[:64],
                status_code=status_code,
                outcome=outcome[:300],
                remote_addr=remote_addr[:64],
                build=build,
            )
    except IntegrityError:
        return None


def webhook_refusals_prune(*, config: BuildConfig) -> None:
    """Keep the newest ``BERTH_WEBHOOK_REFUSALS_KEPT`` refused deliveries of a config: anyone
    may call a webhook's address, and each refusal would otherwise be a row kept forever."""
    refused = WebhookDelivery.objects.filter(config=config, status_code=403).order_by("-received_at", "-id")
    stale = refused.values_list("pk", flat=True)[settings.BERTH_WEBHOOK_REFUSALS_KEPT :]
    WebhookDelivery.objects.filter(pk__in=list(stale)).delete()


def webhook_delivery_finish(*, delivery: WebhookDelivery, status_code: int, outcome: str, build=None) -> None:
    delivery.status_code = status_code
    delivery.outcome = outcome[:300]
    delivery.build = build
    delivery.save(update_fields=["status_code", "outcome", "build"])


def import_from_git(*, user, project, name: str, data: dict[str, Any]) -> Action:
    """The build config now; the Deployment, Service, Route and first build in one
    action as the person (``app.import``), which lands on the build's page."""
    require_role(project, "edit", "Importing from Git")
    try:
        workloads_cluster.deployment_get(identity_for_user(user), namespace=project.name, name=name)
    except NotFound:
        pass
    else:
        raise Refused(f"A deployment named {name} exists already in this project.", field="name")
    config = build_config_create(
        user=user,
        project=project,
        name=name,
        data={
            "git_uri": data["git_uri"],
            "git_ref": data.get("git_ref", ""),
            "context_dir": data.get("context_dir", ""),
            "strategy": BuildConfig.Strategy.SOURCE,
            "env": data.get("env") or {},
            "trigger_github": True,
            "trigger_generic": True,
        },
    )
    return action_start(
        kind="app.import",
        user=user,
        project=project.name,
        target=f"deployment/{name}",
        parameters={
            "config_id": config.pk,
            "port": int(data["port"]) if data.get("port") else None,
            "expose": bool(data.get("expose")),
            "next": reverse("builds:config", kwargs={"name": project.name, "config": name}),
        },
    )


def builder_image_changed(*, project: str, image: str, changed_by: BuildConfig | None = None) -> list[Build]:
    """``image`` (``<registry>/<project>/<name>:<tag>``) has new content: the project's
    configs that build on it with an image-change trigger start a build, as whoever last
    saved each config (the cluster still decides)."""
    started = []
    configs = BuildConfig.objects.filter(project=project, trigger_image_change=True, builder_image=image)
    for config in configs.exclude(pk=getattr(changed_by, "pk", None)).select_related("updated_by"):
        try:
            started.append(
                build_start(
                    user=config.updated_by,
                    config=config,
                    trigger=Build.Trigger.IMAGE_CHANGE,
                    check_plan=False,
                )
            )
        except Refused as exc:
            logger.warning("image change of %s could not start %s: %s", image, config.name, exc)
    return started
