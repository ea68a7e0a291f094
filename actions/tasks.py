"""The action runner: every task runs one Action, found by its id.

Tasks are idempotent: a finished action is not run again, and the work
functions themselves must finish what a crashed earlier attempt left half-done.
Each domain registers its work with :func:`action_task` in its own ``tasks.py``;
the work calls that domain's services and cluster module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from actions import registry, services
from actions.models import Action
from kube import ClusterError, Identity, identity_for_user

logger = logging.getLogger(__name__)

ActionWork = Callable[[Action], str | None]


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

        registry.register(kind, run)
        return work

    return register


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
    except Exception:
        # The exception's text may hold what members should not see (paths, hosts,
        # other objects): it goes to the log, and the action says where to find it.
        logger.exception("action %s (%s) failed", action_id, action.kind)
        services.action_mark_finished(
            action=action,
            succeeded=False,
            message=f"Berth failed unexpectedly; its administrators find the details in the "
            f"worker's log under action {action_id}.",
        )
    else:
        services.action_mark_finished(action=action, succeeded=True, message=message)


def action_identity(action: Action) -> Identity:
    """The cluster identity an action acts as: the person who asked for it.

    Every task re-reads what it changes as this person, so a role taken away
    after queueing is honoured.
    """
    if action.requested_by is None:
        raise ActionFailed("The account that asked for this no longer exists.")
    return identity_for_user(action.requested_by)
