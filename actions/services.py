"""Writes: starting actions and recording their progress.

Each domain's services call :func:`action_start`; the task registered for the
action's kind (``actions.tasks.action_task``) does the work in the worker.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from kombu.exceptions import OperationalError

from actions.events import publish
from actions.models import Action
from actions.registry import task_for_kind

logger = logging.getLogger(__name__)

QUEUE_AWAY = (
    "Waiting for Berth's queue (Redis), which is not answering: this starts by itself once it is back."
)


def action_start(
    *,
    kind: str,
    user,
    project: str = "",
    target: str = "",
    parameters: dict[str, Any] | None = None,
    credit: str = "",
) -> Action:
    """Record an action and queue its task once the row is committed. It runs as ``user``;
    ``credit`` names who asked when that was not ``user`` (a webhook, a trigger)."""
    task_for_kind(kind)  # an unknown kind fails here, before anything is recorded
    action = Action.objects.create(
        kind=kind,
        project=project,
        target=target,
        parameters=parameters or {},
        requested_by=user,
        requested_by_name=(credit or user.get_username())[:150],
    )
    transaction.on_commit(lambda: action_send(action))
    return action


def action_send(action: Action) -> bool:
    """Hand ``action`` to its worker pool. With the queue (Redis) away, the action stays
    Queued and says so, and the workers' watchdog (actions.tasks) sends it again once the
    queue answers: what a person asked for is neither lost nor reported as an error."""
    try:
        task_for_kind(action.kind).delay(action.pk)
        return True
    except OperationalError as exc:
        logger.warning("action %s (%s) stays queued: the queue is away (%s)", action.pk, action.kind, exc)
        Action.objects.filter(pk=action.pk, state=Action.State.QUEUED).update(message=QUEUE_AWAY)
        return False


def action_record(*, kind: str, user, project: str, target: str, message: str) -> Action:
    """Record something done at once, in the request (revealing a secret's value): it joins
    the project's activity, the audit trail, without a task."""
    now = timezone.now()
    return Action.objects.create(
        kind=kind,
        project=project,
        target=target,
        requested_by=user,
        requested_by_name=user.get_username(),
        state=Action.State.SUCCEEDED,
        progress=100,
        message=message,
        started_at=now,
        finished_at=now,
    )


def action_update(*, action: Action, progress: int | None = None, message: str | None = None) -> None:
    fields = []
    if progress is not None:
        action.progress = max(0, min(100, progress))
        fields.append("progress")
    if message is not None:
        action.message = message
        fields.append("message")
    if fields:
        action.save(update_fields=fields)
    action_publish(action=action)


def action_claim(*, action: Action) -> bool:
    """Mark a queued action running for this worker; False when another worker has it (a
    message sent twice runs once)."""
    now = timezone.now()
    claimed = Action.objects.filter(pk=action.pk, state=Action.State.QUEUED).update(
        state=Action.State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=Coalesce("started_at", Value(now)),
        heartbeat_at=now,
    )
    if claimed:
        action.refresh_from_db()
        action_publish(action=action)
    return bool(claimed)


def action_heartbeat(*, action_id: int) -> None:
    Action.objects.filter(pk=action_id, state=Action.State.RUNNING).update(heartbeat_at=timezone.now())


def action_mark_running(*, action: Action) -> None:
    action.state = Action.State.RUNNING
    action.attempts += 1
    action.started_at = action.started_at or timezone.now()
    action.save(update_fields=["state", "attempts", "started_at"])
    action_publish(action=action)


def action_mark_finished(*, action: Action, succeeded: bool, message: str = "") -> None:
    action.state = Action.State.SUCCEEDED if succeeded else Action.State.FAILED
    action.progress = 100 if succeeded else action.progress
    action.message = message
    action.finished_at = timezone.now()
    action.save(update_fields=["state", "progress", "message", "finished_at"])
    action_publish(action=action)


def action_status_html(action: Action) -> str:
    """The action's status as an out-of-band htmx swap (the page and the websocket share it)."""
    return render_to_string("actions/_status.html", {"action": action, "oob": True})


def action_publish(*, action: Action) -> None:
    """Tell everyone watching the action (stored first, then published)."""
    publish(action.group_name, {"type": "action.update", "html": action_status_html(action)})
