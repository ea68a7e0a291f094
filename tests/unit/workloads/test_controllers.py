"""What the StatefulSet, Job and CronJob pages say, from the objects as the API returns them."""

from __future__ import annotations

import pytest

from workloads.controllers import cronjob_summary, job_summary, manual_job_name, statefulset_summary

pytestmark = pytest.mark.unit

POD = {"spec": {"containers": [{"name": "main", "image": "python:3.11"}]}}


def statefulset(replicas=3, ready=3, updated=3, current=3) -> dict:
    return {
        "metadata": {"name": "db", "creationTimestamp": "2026-12-01T10:00:00Z"},
        "spec": {
            "replicas": replicas,
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": POD,
            "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
        },
        "status": {"replicas": current, "readyReplicas": ready, "updatedReplicas": updated},
    }


def test_a_statefulset_is_ready_only_when_every_replica_is_ready_and_updated():
    ready = statefulset_summary(statefulset())
    assert (ready.status, ready.progress, ready.selector) == ("Ready", "3/3 ready", {"app": "db"})
    assert ("Volume claims", "data") in ready.facts and ready.images == ("python:3.11",)
    assert statefulset_summary(statefulset(ready=2)).status == "Progressing"
    assert statefulset_summary(statefulset(updated=2)).status == "Progressing"  # mid-rollout
    scaled_down = statefulset_summary(statefulset(replicas=0, ready=0, updated=0, current=0))
    assert (scaled_down.status, scaled_down.progress) == ("Ready", "0/0 ready")


def job(conditions=(), suspend=False, **status) -> dict:
    return {
        "metadata": {
            "name": "nightly-manual-1",
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [{"kind": "CronJob", "name": "nightly"}],
        },
        "spec": {
            "completions": 1,
            "backoffLimit": 2,
            "suspend": suspend,
            "template": POD,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}},
        },
        "status": {"conditions": list(conditions), **status},
    }


@pytest.mark.parametrize(
    ("given", "status", "progress"),
    [
        (job(), "Pending", "0/1 succeeded"),
        (job(active=1), "Running", "0/1 succeeded"),
        (job(suspend=True), "Suspended", "0/1 succeeded"),
        (job([{"type": "Complete", "status": "True"}], succeeded=1), "Complete", "1/1 succeeded"),
        (job([{"type": "Complete", "status": "False"}], active=1), "Running", "0/1 succeeded"),
        (
            job(
                [
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                    }
                ],
                failed=3,
            ),
            "Failed",
            "0/1 succeeded, 3 failed",
        ),
    ],
)
def test_a_jobs_status_follows_its_conditions(given, status, progress):
    summary = job_summary(given)
    assert (summary.status, summary.progress) == (status, progress)
    assert ("Made by", "CronJob nightly (run by hand)") in summary.facts


def test_a_failed_job_says_why_in_the_clusters_words():
    failed = job_summary(
        job([{"type": "Failed", "status": "True", "message": "Job has reached the specified backoff limit"}])
    )
    assert failed.problem == "Job has reached the specified backoff limit"


def cronjob(suspend=False, active=()) -> dict:
    return {
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "0 3 * * *",
            "timeZone": "Europe/Paris",
            "suspend": suspend,
            "jobTemplate": {"spec": {"template": POD}},
        },
        "status": {"active": [{"name": n} for n in active], "lastScheduleTime": "2026-12-02T03:00:00Z"},
    }


def test_a_cronjob_shows_its_schedule_and_running_jobs():
    scheduled = cronjob_summary(cronjob())
    assert (scheduled.status, scheduled.progress, scheduled.selector) == ("Scheduled", "0 3 * * *", {})
    assert ("Schedule", "0 3 * * * (Europe/Paris)") in scheduled.facts
    assert ("Last scheduled", "2026-12-02 03:00:00 UTC") in scheduled.facts
    assert ("Last succeeded", "never") in scheduled.facts
    active = cronjob_summary(cronjob(active=["nightly-1"]))
    assert active.status == "Active" and ("Running jobs", "nightly-1") in active.facts
    assert cronjob_summary(cronjob(suspend=True, active=["nightly-1"])).status == "Suspended"


def test_a_manual_job_name_fits_a_label_value():
    assert manual_job_name("nightly", now=1764730000) == "nightly-manual-1764730000"
    long = manual_job_name("a" * 52, now=1764730000)
    assert len(long) <= 63 and long.endswith("-manual-1764730000")
