"""Writes: starting actions and recording their progress."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from projects.models import Action

logger = logging.getLogger(__name__)


def action_start(
    *,
    kind: str,
    user,
    project: str = "",
    target: str = "",
    parameters: dict[str, Any] | None = None,
) -> Action:
    """Record an action and queue its task once the row is committed."""
    from projects.tasks import task_for_kind  # tasks import services: keep the cycle lazy

    task = task_for_kind(kind)
    action = Action.objects.create(
        kind=kind,
        project=project,
        target=target,
        parameters=parameters or {},
        requested_by=user,
        requested_by_name=user.get_username(),
    )
    transaction.on_commit(lambda: task.delay(action.pk))
    return action


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


def action_publish(*, action: Action) -> None:
    """Tell everyone watching the action (stored first, then published)."""
    layer = get_channel_layer()
    if layer is None:
        return
    html = render_to_string("projects/actions/_status.html", {"action": action, "oob": True})
    try:
        async_to_sync(layer.group_send)(action.group_name, {"type": "action.update", "html": html})
    except Exception:  # the row is the truth; a viewer that misses this reloads it
        logger.exception("could not publish the state of action %s", action.pk)


# Projects and members. Each is an action: validated here, done by a task.

ROLE_RANK = {"view": 1, "edit": 2, "admin": 3}


class ProjectRefused(Exception):
    """A request that cannot be carried out; the message says why."""


def role_at_least(role: str | None, needed: str) -> bool:
    return ROLE_RANK.get(role or "", 0) >= ROLE_RANK[needed]


def require_role(project, needed: str) -> None:
    """Refuse, with a message fit to show, a person below ``needed`` in the project."""
    if not role_at_least(project.my_role, needed):
        raise ProjectRefused(f"This needs the {needed} role in the project.")


def project_create(*, user, name: str, display_name: str, description: str, quota: dict[str, str]) -> Action:
    return action_start(
        kind="project.create",
        user=user,
        project=name,
        target=f"project/{name}",
        parameters={
            "name": name,
            "display_name": display_name,
            "description": description,
            "quota": quota,
            "next": f"/projects/{name}/",
        },
    )


def project_delete(*, user, project) -> Action:
    if not role_at_least(project.my_role, "admin"):
        raise ProjectRefused("Only a project admin can delete the project.")
    return action_start(
        kind="project.delete", user=user, project=project.name, target=f"project/{project.name}"
    )


def _admins_left(members, *, kind: str, name: str, new_role: str | None) -> int:
    remaining = 0
    for member in members:
        role = new_role if (member.kind, member.name) == (kind, name) else member.role
        if role == "admin":
            remaining += 1
    return remaining


def check_last_admin(*, members, kind: str, name: str, new_role: str | None) -> None:
    """Refuse to remove or demote the last admin: nobody could manage the project after."""
    is_admin = any(m.kind == kind and m.name == name and m.role == "admin" for m in members)
    if is_admin and _admins_left(members, kind=kind, name=name, new_role=new_role) == 0:
        raise ProjectRefused(f"{name} is the last admin of this project. Make someone else an admin first.")


def member_set(*, user, project, kind: str, name: str, role: str) -> Action:
    if not role_at_least(project.my_role, "admin"):
        raise ProjectRefused("Only a project admin can change members.")
    check_last_admin(members=project.members, kind=kind, name=name, new_role=role)
    return action_start(
        kind="member.set",
        user=user,
        project=project.name,
        target=f"{kind.lower()}/{name}",
        parameters={"kind": kind, "name": name, "role": role},
    )


def member_remove(*, user, project, kind: str, name: str) -> Action:
    if not role_at_least(project.my_role, "admin"):
        raise ProjectRefused("Only a project admin can change members.")
    if not any(m.kind == kind and m.name == name for m in project.members):
        raise ProjectRefused(f"{name} is not a member of this project.")
    check_last_admin(members=project.members, kind=kind, name=name, new_role=None)
    return action_start(
        kind="member.remove",
        user=user,
        project=project.name,
        target=f"{kind.lower()}/{name}",
        parameters={"kind": kind, "name": name},
    )
