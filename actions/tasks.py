"""The action runner: every task runs one Action, found by its id.

Tasks are idempotent: a finished action is not run again, and the work
functions themselves must finish what a crashed earlier attempt left half-done.
Each domain registers its work with :func:`action_task` in its own ``tasks.py``;
the work calls that domain's services and cluster module.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from django.conf import settings
from django.db import connection
from django.utils import timezone

from actions import registry, services
from actions.models import Action
from kube import ClusterError, Identity, identity_for_user

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10

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
    if not services.action_claim(action=action):
        logger.info("action %s is %s elsewhere; not running it twice", action_id, action.state)
        return
    beating = threading.Event()
    threading.Thread(
        target=_heartbeat, args=(action_id, beating), name=f"action-{action_id}-heartbeat", daemon=True
    ).start()
    try:
        _run(action, work)
    finally:
        beating.set()


def _heartbeat(action_id: int, stop: threading.Event) -> None:
    """Tell the watchdogs this worker still runs the action."""
    # Well inside the time after which the watchdogs take the action over.
    interval = min(HEARTBEAT_SECONDS, settings.BERTH_ACTION_ORPHAN_SECONDS / 4)
    while not stop.wait(interval):
        try:
            services.action_heartbeat(action_id=action_id)
        except Exception:  # a database hiccup: the next beat tries again
            logger.exception("heartbeat of action %s failed", action_id)
        finally:
            connection.close()  # this thread's own connection


def _run(action: Action, work: ActionWork) -> None:
    action_id = action.pk
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


# A worker killed mid-action (kill -9, its machine gone) leaves the action Running with a
# heartbeat that stops, and its message unacknowledged until the broker's visibility
# timeout (hours). A message a dead worker had taken but not started leaves the action
# Queued. Every actions worker looks for both and sends them again; the claim in
# run_action makes sure each runs once at a time, and the work functions finish what an
# earlier attempt left half-done.

# A running build's worker has its own watchdog (builds.tasks); a queued one is sent again here.
TAKEN_OVER_ELSEWHERE = ("build.start",)


def orphaned_actions_requeue() -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=settings.BERTH_ACTION_ORPHAN_SECONDS)
    stale = Action.objects.filter(state__in=[Action.State.RUNNING, Action.State.QUEUED]).exclude(
        kind__in=TAKEN_OVER_ELSEWHERE, state=Action.State.RUNNING
    )
    requeued = []
    for action in stale.filter(heartbeat_at__lt=cutoff) | stale.filter(
        heartbeat_at__isnull=True, created_at__lt=cutoff
    ):
        # Claimed by whoever moves the heartbeat first: one watchdog sends it again.
        if Action.objects.filter(pk=action.pk, state=action.state, heartbeat_at=action.heartbeat_at).update(
            state=Action.State.QUEUED, heartbeat_at=timezone.now()
        ):
            logger.warning("action %s (%s) lost its worker; sending it again", action.pk, action.kind)
            if services.action_send(action):  # else tried again after the cutoff
                requeued.append(action.pk)
    return requeued


def watchdog(queue: str, name: str, look: Callable[[], object], interval: float) -> None:
    """Run ``look`` every ``interval`` seconds in each worker that consumes ``queue`` (from
    the moment it is ready): the takeovers of actions and of builds."""

    def loop() -> None:
        while True:
            try:
                look()
            except Exception:  # the watchdog must outlive a database hiccup
                logger.exception("%s failed", name)
            finally:
                connection.close()  # this thread's own connection
            time.sleep(interval)

    @worker_ready.connect(weak=False)
    def start(sender=None, **kwargs) -> None:
        queues = {q.name for q in getattr(getattr(sender, "task_consumer", None), "queues", [])}
        if queue in queues:
            threading.Thread(target=loop, name=name, daemon=True).start()


watchdog(
    settings.CELERY_TASK_DEFAULT_QUEUE,
    "action-watchdog",
    orphaned_actions_requeue,
    interval=max(1.0, settings.BERTH_ACTION_ORPHAN_SECONDS / 4),
)
