"""Actions run by a real Celery worker over a real Redis broker."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from actions import services
from actions.models import Action
from actions.tasks import ActionFailed, action_task, run_action
from tests.helpers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

runs: list[int] = []


@action_task("test.succeed")
def _succeed(action: Action) -> str:
    runs.append(action.pk)
    services.action_update(action=action, progress=50, message="half way")
    return f"did {action.parameters['what']}"


@action_task("test.fail")
def _fail(action: Action) -> str:
    raise ActionFailed("the thing could not be done: disk full")


@action_task("test.crash")
def _crash(action: Action) -> str:
    raise ValueError("unexpected value 42")


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", password="x")


def _finished(action: Action):
    action.refresh_from_db()
    return action if action.is_finished else None


def test_queued_action_runs_to_succeeded(celery_worker, alice):
    action = services.action_start(kind="test.succeed", user=alice, parameters={"what": "the dishes"})
    assert action.state == Action.State.QUEUED
    wait_for(lambda: _finished(action), message="the action to finish")
    assert action.state == Action.State.SUCCEEDED
    assert action.message == "did the dishes"
    assert action.progress == 100 and action.attempts == 1
    assert action.started_at and action.finished_at and action.started_at <= action.finished_at
    assert action.requested_by_name == "alice"


def test_failing_task_ends_failed_with_its_message(celery_worker, alice):
    action = services.action_start(kind="test.fail", user=alice)
    wait_for(lambda: _finished(action), message="the action to finish")
    assert action.state == Action.State.FAILED
    assert action.message == "the thing could not be done: disk full"


def test_unexpected_exception_fails_and_its_text_goes_to_the_log_only(celery_worker, alice, caplog):
    action = services.action_start(kind="test.crash", user=alice)
    wait_for(lambda: _finished(action), message="the action to finish")
    assert action.state == Action.State.FAILED
    assert "unexpected value 42" not in action.message
    assert f"under action {action.pk}" in action.message
    logged = [r for r in caplog.records if r.name == "actions.tasks" and r.exc_info]
    assert logged and "unexpected value 42" in str(logged[-1].exc_info[1])


def test_a_finished_action_is_not_run_twice(celery_worker, alice):
    action = services.action_start(kind="test.succeed", user=alice, parameters={"what": "it"})
    wait_for(lambda: _finished(action), message="the action to finish")
    before = runs.count(action.pk)
    run_action(action.pk, _succeed)  # a redelivery of the same task
    assert runs.count(action.pk) == before == 1


def test_unknown_kind_is_refused_before_anything_is_recorded(alice):
    with pytest.raises(LookupError):
        services.action_start(kind="no.such.kind", user=alice)
    assert not Action.objects.exists()


def test_an_action_whose_worker_died_is_sent_again_and_runs_once(celery_worker, alice, settings):
    from datetime import timedelta

    from django.utils import timezone

    from actions.tasks import orphaned_actions_requeue

    settings.BERTH_ACTION_ORPHAN_SECONDS = 30
    long_ago = timezone.now() - timedelta(minutes=5)

    def stuck(state: str, heartbeat) -> Action:
        action = Action.objects.create(
            kind="test.succeed", requested_by=alice, requested_by_name="alice", parameters={"what": state}
        )
        Action.objects.filter(pk=action.pk).update(state=state, heartbeat_at=heartbeat, created_at=long_ago)
        return action

    died_running = stuck(Action.State.RUNNING, long_ago)  # its worker was killed mid-way
    never_started = stuck(Action.State.QUEUED, None)  # its message went down with a worker
    alive = stuck(Action.State.RUNNING, timezone.now())  # another worker runs it right now
    # A build's running worker has its own takeover (builds.tasks); a queued build's lost
    # message (Redis restarted empty) is sent again here.
    build_running = stuck(Action.State.RUNNING, long_ago)
    build_queued = stuck(Action.State.QUEUED, None)
    Action.objects.filter(pk__in=[build_running.pk, build_queued.pk]).update(
        kind="build.start", parameters={"build_id": 0}
    )
    requeued = orphaned_actions_requeue()
    assert build_queued.pk in requeued and build_running.pk not in requeued
    requeued.remove(build_queued.pk)  # (no build behind it: "The build no longer exists.")
    assert sorted(requeued) == sorted([died_running.pk, never_started.pk])
    for action in (died_running, never_started):
        wait_for(lambda action=action: _finished(action), message="the action to be taken over")
        assert action.state == Action.State.SUCCEEDED and runs.count(action.pk) == 1
    alive.refresh_from_db()
    assert alive.state == Action.State.RUNNING and alive.pk not in runs
    # A second message for an action that runs already (sent twice) does not run it again.
    run_action(died_running.pk, _succeed)
    assert runs.count(died_running.pk) == 1
