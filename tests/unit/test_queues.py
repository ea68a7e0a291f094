"""Builds have their own queue and worker pool: quick actions never wait behind them."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from actions import registry
from console.celery import app

LONG = {"build.start", "build.detect", "deployment.command", "deployment.release"}  # minutes


def queue_of(kind: str) -> str:
    return app.amqp.router.route({}, f"actions.{kind}")["queue"].name


def test_long_actions_go_to_the_build_queue_and_every_other_kind_to_the_quick_one():
    kinds = set(registry.kinds())
    assert kinds >= LONG and {"deployment.scale", "build.cancel", "member.set"} <= kinds
    for kind in kinds:
        expected = settings.BERTH_BUILD_QUEUE if kind in LONG else settings.CELERY_TASK_DEFAULT_QUEUE
        assert queue_of(kind) == expected, kind


def test_the_procfile_runs_a_pool_for_each_queue():
    procfile = (Path(settings.BASE_DIR) / "Procfile").read_text()
    queues = dict(re.findall(r"^(\w+): .*celery .*--queues (\S+)$", procfile, re.MULTILINE))
    assert queues == {
        "worker": "${BERTH_CELERY_QUEUE:-berth}",
        "builder": "${BERTH_CELERY_QUEUE:-berth}-builds",
    }
    assert f"{settings.CELERY_TASK_DEFAULT_QUEUE}-builds" == settings.BERTH_BUILD_QUEUE
