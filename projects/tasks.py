"""Background work. Every task runs one Action, found by its id.

Tasks are idempotent: a finished action is not run again, and the work
functions themselves must finish what a crashed earlier attempt left half-done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from console.cluster import ClusterError
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
