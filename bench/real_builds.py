"""From `git push` to the new version answering at its route, on the real node.

Everything is real: the sample Django app (Django and gunicorn from the devcluster's
package index) on the devcluster's Git server, Berth's web process (uvicorn) taking
the GitHub webhook, the worker (in this process) reading the source in a pod of the
project, the build pod (git, buildah) pushing to the integrated registry (Berth is its
token service), the Deployment following the image, the router. Websocket viewers
(another process) follow each build's log as a browser would.

Runs: the first build (Import from Git), then pushes with 1 and 10 viewers, incremental
(the first build's dependencies reused) and not (installed again). Uses the
shared devcluster with its real node (started if it is not running, and stopped
after), a fresh project (deleted after), a private redis-server and database in
/tmp/berth-bench-real.

Run: `.venv/bin/python -m bench.real_builds`
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("BERTH_MODE", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
os.environ["BERTH_DATA_DIR"] = "/tmp/berth-bench-real"
ROOT = Path(__file__).resolve().parent.parent

from bench.common import answers, real_node_session, real_node_web, watch_all, worker  # noqa: E402


def wait_until(predicate, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("gave up waiting")


def main() -> None:
    from tools.services import free_port

    with real_node_session() as cluster:
        run(cluster, free_port())


def run(cluster: dict, port: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from builds import services
    from builds.models import Build, BuildConfig, BuildLogLine
    from kube import identity_for_user
    from kube.bootstrap import rbac_apply
    from projects import cluster as cluster_projects
    from projects import selectors as project_selectors
    from tests.e2e.test_real_builds import django_app, through_router

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    call_command("migrate", verbosity=0)
    rbac_apply()
    alice, _ = get_user_model().objects.get_or_create(username="alice")

    name = f"bench-{secrets.token_hex(4)}"
    bare = Path(cluster["GIT_ROOT"]) / f"{name}.git"
    work = Path(tempfile.mkdtemp(prefix="berth-bench-app-"))

    def commit(version: str) -> None:
        for path, text in django_app(version).items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(text)
        for args in (["add", "."], ["commit", "-q", "-m", version], ["push", "-q", str(bare), "main"]):
            subprocess.run(
                ["git", "-c", "user.name=b", "-c", "user.email=b@example.org", *args], cwd=work, check=True
            )

    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=work, check=True)
    commit("version 0")

    project = name
    quota = {"cpu": "4", "memory": "8Gi", "pods": "20", "pvcs": "2", "storage": "10Gi"}
    cluster_projects.project_create(
        identity_for_user(alice), name=project, display_name="", description="", quota=quota, action_id=0
    )
    env = {**os.environ, "KUBECONFIG": settings.KUBECONFIG, "REDIS_URL": settings.REDIS_URL}
    log = open(data_log := Path(os.environ["BERTH_DATA_DIR"]) / "uvicorn.log", "w")  # noqa: SIM115
    web = Client()
    web.force_login(alice)
    cookie = f"sessionid={web.cookies['sessionid'].value}"
    origin = f"http://127.0.0.1:{port}"
    host = f"web-{project}.{cluster['APPS_DOMAIN']}"
    rows = []
    try:
        project_obj = project_selectors.project_get(user=alice, name=project)
        with (
            real_node_web(cluster, port, env, log),
            worker(),
            ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as viewers_pool,
        ):
            wait_until(lambda: answers(port), 30)
            started = time.time()
            services.import_from_git(
                user=alice,
                project=project_obj,
                name="web",
                data={
                    "git_uri": f"{cluster['GIT_SERVER']}{name}.git",
                    "git_ref": "main",
                    "port": 8080,
                    "expose": True,
                },
            )
            build = wait_until(lambda: Build.objects.filter(config__project=project, number=1).first(), 60)
            outs = viewers_pool.submit(
                watch_all, [f"ws://127.0.0.1:{port}/ws/builds/{build.pk}/?after=0"], cookie, origin
            ).result(timeout=900)
            wait_until(lambda: "version 0" in through_router(cluster["ROUTER_URL"], host), 300)
            rows.append(measure("first build (Import from Git)", 1, started, build, outs))
            config = BuildConfig.objects.get(project=project, name="web")
            pushes = ((1, True), (10, True), (1, False), (10, False))
            for number, (viewers, incremental) in enumerate(pushes, start=1):
                # Incremental builds reuse the dependencies the first build installed.
                BuildConfig.objects.filter(pk=config.pk).update(incremental=incremental)
                commit(f"version {number}")
                # As GitHub's push event, with the pushed commit: Berth acknowledges a body it
                # has seen before (a replay) without building it again.
                pushed = subprocess.run(
                    ["git", "rev-parse", "HEAD"], cwd=work, check=True, capture_output=True, text=True
                ).stdout.strip()
                body = json.dumps(
                    {"ref": "refs/heads/main", "after": pushed, "repository": {"default_branch": "main"}}
                ).encode()
                signature = (
                    "sha256=" + hmac.new(config.github_secret.encode(), body, hashlib.sha256).hexdigest()
                )
                started = time.time()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request(
                    "POST",
                    f"/webhooks/{project}/web/github/",
                    body,
                    {
                        "Content-Type": "application/json",
                        "X-GitHub-Event": "push",
                        "X-GitHub-Delivery": f"bench-{number}",
                        "X-Hub-Signature-256": signature,
                    },
                )
                answer = conn.getresponse()
                assert answer.status == 202, (answer.status, answer.read()[:300])
                build = wait_until(
                    lambda n=number: Build.objects.filter(config=config, number=n + 1).first(), 30
                )
                outs = viewers_pool.submit(
                    watch_all,
                    [f"ws://127.0.0.1:{port}/ws/builds/{build.pk}/?after=0"] * viewers,
                    cookie,
                    origin,
                ).result(timeout=900)
                wait_until(
                    lambda v=number: f"version {v}" in through_router(cluster["ROUTER_URL"], host), 300
                )
                what = "incremental: dependencies reused" if incremental else "not incremental: installed"
                rows.append(
                    measure(f"push → webhook → build → rollout ({what})", viewers, started, build, outs)
                )
    finally:
        log.close()
        cluster_projects.project_delete(identity_for_user(alice), name=project)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(bare, ignore_errors=True)

    stored = {
        r["build"]: list(BuildLogLine.objects.filter(build_id=r["build"]).values_list("seq", flat=True))
        for r in rows
    }
    print()
    print(
        "| run | viewers | to the new version at its route | of which the build | log lines "
        "| every viewer got every line once |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        exact = all(out["seqs"] == stored[r["build"]] for out in r["outs"])
        print(
            f"| {r['what']} | {r['viewers']} | {r['total']:.1f} s | {r['build_seconds']:.1f} s "
            f"| {len(stored[r['build']])} | {'yes' if exact else 'NO'} |"
        )
    print(f"(uvicorn log: {data_log})")


def measure(what: str, viewers: int, started: float, build, outs: list[dict]) -> dict:
    build.refresh_from_db()
    assert build.status == "Complete", build.message
    row = {
        "what": what,
        "viewers": viewers,
        "total": time.time() - started,
        "build_seconds": (build.finished_at - build.started_at).total_seconds(),
        "build": build.pk,
        "outs": outs,
    }
    print({k: v for k, v in row.items() if k != "outs"}, flush=True)
    return row


if __name__ == "__main__":
    main()
