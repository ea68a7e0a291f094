"""Background work. Every task runs one Action, found by its id.

Tasks are idempotent: a finished action is not run again, and the work
functions themselves must finish what a crashed earlier attempt left half-done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from console.cluster import ClusterError, identity_for_user
from console.cluster import projects as cluster_projects
from projects import services
from projects.models import Action

logger = logging.getLogger(__name__)

ActionWork = Callable[[Action], str | None]
_registry: dict[str, object] = {}


class ActionFailed(Exception):
    """Raised by work functions with a message fit for the person who asked."""


def action_task(kind: str) -> Callable[[ActionWork], ActionWork]:
    """Register ``work`` as the task that runs actions of ``kind``.

    ``work(action)`` does the job and returns the success message. An
    ``ActionFailed`` or cluster error fails the action with its message;
    anything else fails it with a generic message and is logged.
    """

    def register(work: ActionWork):
        @shared_task(name=f"actions.{kind}", ignore_result=True)
        def run(action_id: int) -> None:
            run_action(action_id, work)

        _registry[kind] = run
        return work

    return register


def task_for_kind(kind: str):
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"no task is registered for actions of kind {kind!r}") from None


def run_action(action_id: int, work: ActionWork) -> None:
    action = Action.objects.filter(pk=action_id).first()
    if action is None:
        logger.warning("action %s no longer exists; nothing to do", action_id)
        return
    if action.is_finished:
        logger.info("action %s already %s; not running it again", action_id, action.state)
        return
    services.action_mark_running(action=action)
    try:
        message = work(action) or "Done."
    except (ActionFailed, ClusterError) as exc:
        services.action_mark_finished(action=action, succeeded=False, message=str(exc))
    except SoftTimeLimitExceeded:
        services.action_mark_finished(action=action, succeeded=False, message="Timed out.")
    except Exception as exc:
        logger.exception("action %s (%s) failed", action_id, action.kind)
        services.action_mark_finished(
            action=action, succeeded=False, message=f"Unexpected error: {exc.__class__.__name__}: {exc}"
        )
    else:
        services.action_mark_finished(action=action, succeeded=True, message=message)


# Project actions. Each re-reads the project as the person who asked, so a
# role taken away after queueing is honoured, and finishes what an earlier
# attempt left half-done.


def action_identity(action: Action):
    """The cluster identity an action acts as: the person who asked for it."""
    if action.requested_by is None:
        raise ActionFailed("The account that asked for this no longer exists.")
    return identity_for_user(action.requested_by)


@action_task("project.create")
def project_create(action: Action) -> str:
    params = action.parameters
    services.action_update(action=action, progress=10, message="Creating the namespace")
    cluster_projects.project_create(
        action_identity(action),
        name=params["name"],
        display_name=params.get("display_name", ""),
        description=params.get("description", ""),
        quota=params["quota"],
        action_id=action.pk,
    )
    return f"Project {params['name']} is ready."


@action_task("project.delete")
def project_delete(action: Action) -> str:
    cluster_projects.project_delete(action_identity(action), name=action.project)
    return f"Project {action.project} is being deleted."


def _member_change(action: Action, new_role: str | None) -> None:
    """Set (or, with no role, remove) a member, re-checking the last admin on fresh data."""
    identity = action_identity(action)
    kind, name = action.parameters["kind"], action.parameters["name"]
    project = cluster_projects.project_get(identity, action.project)
    try:
        services.check_last_admin(members=project.members, kind=kind, name=name, new_role=new_role)
    except services.ProjectRefused as exc:
        raise ActionFailed(str(exc)) from exc
    if new_role is None:
        cluster_projects.member_remove(identity, project=project, kind=kind, name=name)
    else:
        cluster_projects.member_set(identity, project=project, kind=kind, name=name, role=new_role)


@action_task("member.set")
def member_set(action: Action) -> str:
    _member_change(action, action.parameters["role"])
    return f"{action.parameters['name']} is now {action.parameters['role']}."


@action_task("member.remove")
def member_remove(action: Action) -> str:
    _member_change(action, None)
    return f"{action.parameters['name']} is no longer a member."
