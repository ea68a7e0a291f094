"""The actions worker killed (SIGKILL) at random points while it runs scales, rollbacks,
project creations and member changes; a new worker started each time, as a supervisor
would. Every action ends in a final state, with the effect it asked for, once: 0 lost,
0 run twice with a visible effect. (Builds have their own: tests/e2e/test_real_builds.py.)"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from kubernetes import client

from actions.models import Action
from projects import selectors as project_selectors
from projects import services as project_services
from tests.helpers import ARTIFACTS, make_deployment, revision, wait_for
from tests.reliability.conftest import record
from workloads import services as workload_services

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("RELIABILITY_KILLS", "100"))
ORPHAN_SECONDS = 3


def _worker(env: dict[str, str], n: int) -> subprocess.Popen:
    log = open(ARTIFACTS / f"reliability-worker-{n % 4}.log", "w")  # noqa: SIM115 - the process owns it
    command = [sys.executable, "-m", "celery", "-A", "console", "worker", "-P", "solo"]
    command += ["--without-gossip", "--without-mingle"]  # as the Procfile runs them
    command += ["-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--loglevel=WARNING", "-n", f"reliability-{n}@%h"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _revisions(apps: client.AppsV1Api, project: str) -> dict[int, str]:
    """The deployment's revisions (ReplicaSets) and the image of each."""
    found = {}
    for rs in apps.list_namespaced_replica_set(project, label_selector="app=web").items:
        number = (rs.metadata.annotations or {}).get("deployment.kubernetes.io/revision")
        if number:
            found[int(number)] = rs.spec.template.spec.containers[0].image
    return found


def _image(apps: client.AppsV1Api, project: str) -> str:
    return apps.read_namespaced_deployment("web", project).spec.template.spec.containers[0].image


def _bindings(admin_client, namespace: str, user: str) -> list[str]:
    rbac = client.RbacAuthorizationV1Api(admin_client)
    return [
        b.role_ref.name
        for b in rbac.list_namespaced_role_binding(namespace).items
        if any(s.kind == "User" and s.name == user for s in b.subjects or [])
    ]


@pytest.mark.timeout(60 * 60)  # a hundred kills, each with a worker's start: minutes
def test_killed_workers_lose_nothing_and_repeat_nothing(
    people, make_project, admin_client, berth_cluster, redis_url, settings
):
    settings.BERTH_MAX_PROJECTS_PER_PERSON = KILLS + 10
    rng = random.Random(int(os.environ.get("RELIABILITY_SEED", "7")))  # noqa: S311 - not secrets
    alice = people["alice"]
    project = make_project(alice)
    make_deployment(admin_client, project, "web", image="web:1")
    wait_for(lambda: revision(admin_client, project, "web") == "1", message="revision 1")
    apps = client.AppsV1Api(admin_client)
    second = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}
    apps.patch_namespaced_deployment("web", project, second)
    wait_for(lambda: len(_revisions(apps, project)) == 2, message="two revisions")
    env = {
        **os.environ,
        "BERTH_MODE": "test",
        "DJANGO_SETTINGS_MODULE": "console.settings_test",
        "DATABASE_URL": f"sqlite:///{settings.DATABASES['default']['NAME']}",
        "REDIS_URL": redis_url,
        "KUBECONFIG": berth_cluster.plane.env()["KUBECONFIG_ACTIONS"],  # as `make dev` runs it
        "SECRET_KEY": settings.SECRET_KEY,
        "BERTH_ACTION_ORPHAN_SECONDS": str(ORPHAN_SECONDS),
        "BERTH_MAX_PROJECTS_PER_PERSON": str(KILLS + 10),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    made: list[str] = []
    outcomes: Counter = Counter()
    attempts: Counter = Counter()
    wrong: list[str] = []
    worker = _worker(env, 0)
    try:
        for n in range(1, KILLS + 1):
            target = project_selectors.project_get(user=alice, name=project)
            kind = rng.choice(["scale", "rollback", "project", "member"])
            if kind == "scale":
                wanted = rng.randint(0, 3)
                action = workload_services.deployment_scale(
                    user=alice, project=target, name="web", replicas=wanted
                )
            elif kind == "rollback":
                current = (
                    apps.read_namespaced_deployment("web", project).spec.template.spec.containers[0].image
                )
                number, wanted = next((r, i) for r, i in _revisions(apps, project).items() if i != current)
                action = workload_services.deployment_rollback(
                    user=alice, project=target, name="web", revision=number
                )
            elif kind == "project":
                wanted = f"{project}-{n}"
                made.append(wanted)
                quota = {k: str(v) for k, v in settings.BERTH_QUOTA_PRESETS["small"].items() if k != "label"}
                action = project_services.project_create(
                    user=alice, name=wanted, display_name="", description="", quota=quota
                )
            else:
                wanted = rng.choice(["view", "edit"])
                action = project_services.member_set(
                    user=alice, project=target, kind="User", name="carol", role=wanted
                )
            # Somewhere between "not started yet" and "done, not yet marked".
            time.sleep(rng.uniform(0, 1.5))
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            worker = _worker(env, n)
            done = wait_for(
                lambda action=action: action if (action.refresh_from_db() or action.is_finished) else None,
                timeout=90,
                message=f"action {action.pk} ({action.kind}) to end after a kill",
            )
            outcomes[done.state] += 1
            attempts[done.attempts] += 1
            if kind == "scale":
                got = apps.read_namespaced_deployment("web", project).spec.replicas
            elif kind == "rollback":
                got = _image(apps, project)
            elif kind == "project":
                ns = client.CoreV1Api(admin_client).read_namespace(wanted)
                created_by = (ns.metadata.annotations or {}).get("berth.io/created-by-action")
                admins = _bindings(admin_client, wanted, "alice")
                got = wanted if (created_by == str(done.pk) and admins == ["admin"]) else (created_by, admins)
            else:
                roles = _bindings(admin_client, project, "carol")
                got = roles[0] if len(roles) == 1 else roles  # one binding: never doubled
            if done.state != Action.State.SUCCEEDED or got != wanted:
                wrong.append(
                    f"{done.kind} #{done.pk} ({done.state}: {done.message}): wanted {wanted}, got {got}"
                )
    finally:
        worker.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=20)
        core = client.CoreV1Api(admin_client)
        for name in made:
            with contextlib.suppress(client.exceptions.ApiException):
                core.delete_namespace(name)
    record(
        "worker_kill",
        {
            "kills": KILLS,
            "succeeded": outcomes["succeeded"],
            "failed": outcomes["failed"],
            "lost": KILLS - sum(outcomes.values()),
            "wrong_effects": len(wrong),
            "attempts": dict(sorted(attempts.items())),
        },
    )
    assert wrong == [], "\n".join(wrong)
