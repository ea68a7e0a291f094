"""Latencies on the real node, as a person sees them in the browser, p50 and p95:
- pod create → Running (the API's phase, and the pods page's websocket showing it);
- scale click → the new replicas shown ready on the deployments page;
- build start → the build's first log line in the browser.

Everything is real: the shared devcluster with its real node (started if it is not
running, and stopped after), a fresh project (deleted after), Berth's web process
(uvicorn) for the websockets, its views in this process for the clicks (Django's whole
stack, as the person), a Celery worker in this process for the actions and builds, a
private redis-server and database in /tmp/berth-bench-realnode. The pages' websockets
are read by clients in threads of this process, kept open across samples as a browser
tab would be.

The pods run Debian's Python image from the devcluster's registry (`python3 -m
http.server 8080`). The deployment's pods, like the tests' apps, have a readiness
probe every second on that port, so "ready" means the server answers. The build is
the sample Django app of `bench.real_builds`: the first from Import from Git, the
next ones started by hand (its dependencies reused).

Run: `.venv/bin/python -m bench.real_node [SAMPLES] [BUILDS]` (10, 5).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("BERTH_MODE", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
os.environ["BERTH_DATA_DIR"] = "/tmp/berth-bench-realnode"

from bench.common import (
    answers,
    django_against,
    percentile,
    real_node_session,
    real_node_web,
    watch_all,
    worker,
)
from tests.cluster.test_real_node import web_app
from tests.helpers import wait_for

SCALED = "scale-me"


class LivePage:
    """A browser tab's websocket on a live page, read in a thread: every frame, with
    the time it arrived."""

    def __init__(self, url: str, cookie: str, origin: str) -> None:
        self.frames: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(url, cookie, origin), daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise TimeoutError(f"no first frame from {url}: {self._error}")

    def _run(self, url: str, cookie: str, origin: str) -> None:
        try:
            asyncio.run(self._read(url, cookie, origin))
        except BaseException as exc:  # said by the waits
            self._error = exc

    async def _read(self, url: str, cookie: str, origin: str) -> None:
        import websockets

        async with websockets.connect(
            url, additional_headers={"Cookie": cookie, "Origin": origin}, max_size=None
        ) as ws:
            while not self._stop.is_set():
                try:
                    frame = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                with self._lock:
                    self.frames.append((time.time(), frame))
                self._ready.set()

    def first(self, pattern: re.Pattern, since: float, timeout: float = 180) -> float:
        """When the first frame that arrived after ``since`` and matches ``pattern`` came."""
        deadline, seen = time.time() + timeout, 0
        while time.time() < deadline:
            if self._error is not None:
                raise RuntimeError(f"the page's socket ended: {self._error}")
            with self._lock:
                frames = self.frames[seen:]
            seen += len(frames)
            for at, frame in frames:
                if at >= since and pattern.search(frame):
                    return at
            time.sleep(0.02)
        raise TimeoutError(f"no frame matched {pattern.pattern}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


def main(samples: int, builds: int) -> None:
    from tools.services import free_port

    with real_node_session() as cluster:
        run(cluster, free_port(), samples, builds)


def run(cluster: dict, port: int, samples: int, builds: int) -> None:
    alice = django_against(os.environ["KUBECONFIG"])
    from django.conf import settings
    from django.test import Client

    from kube import identity_for_user
    from kube.bootstrap import rbac_apply
    from kube.client import api
    from projects import cluster as cluster_projects

    rbac_apply()
    project = f"bench-{secrets.token_hex(4)}"
    quota = {"cpu": "4", "memory": "8Gi", "pods": "20", "pvcs": "2", "storage": "10Gi"}
    cluster_projects.project_create(
        identity_for_user(alice), name=project, display_name="", description="", quota=quota, action_id=0
    )
    core = api(identity_for_user(alice), "core")
    apps = api(identity_for_user(alice), "apps")
    log = open(Path(os.environ["BERTH_DATA_DIR"]) / "uvicorn.log", "w")  # noqa: SIM115 - closed below
    env = {**os.environ, "KUBECONFIG": settings.KUBECONFIG, "REDIS_URL": settings.REDIS_URL}
    web = Client()
    web.force_login(alice)
    cookie = f"sessionid={web.cookies['sessionid'].value}"
    origin = f"http://127.0.0.1:{port}"
    results: dict[str, list[float]] = {}
    pages: list[LivePage] = []
    try:
        with real_node_web(cluster, port, env, log), worker():
            wait_for(lambda: answers(port), 30, 0.2, "the web process")
            try:
                pods_page = LivePage(f"ws://127.0.0.1:{port}/ws/projects/{project}/pods/", cookie, origin)
                pages.append(pods_page)
                results |= pods(core, pods_page, cluster["PYTHON_IMAGE"], project, samples)
                apps.create_namespaced_deployment(project, web_app(SCALED, cluster["PYTHON_IMAGE"], "scaled"))
                deployments_page = LivePage(
                    f"ws://127.0.0.1:{port}/ws/projects/{project}/deployments/", cookie, origin
                )
                pages.append(deployments_page)
                deployments_page.first(_ready(1), 0)
                results |= scaling(web, deployments_page, project, samples)
                results |= building(cluster, alice, project, port, cookie, origin, builds)
            finally:
                for page in pages:  # before the web process stops, which would wait for them
                    page.close()
    finally:
        log.close()
        cluster_projects.project_delete(identity_for_user(alice), name=project)

    print()
    print(f"On the real node ({cluster['REAL_NODE']}); latencies in seconds")
    print("| what | samples | p50 | p95 | min | max |")
    print("|---|---|---|---|---|---|")
    for what, values in results.items():
        print(
            f"| {what} | {len(values)} | {percentile(values, 50):.2f} | {percentile(values, 95):.2f} "
            f"| {min(values):.2f} | {max(values):.2f} |"
        )


def pods(core, page: LivePage, image: str, project: str, samples: int) -> dict[str, list[float]]:
    """Pod create → Running, ``samples`` times, one pod at a time (deleted after)."""
    running, shown = [], []
    for i in range(samples):
        name = f"latency-{i}"
        body = {
            "metadata": {"name": name},
            "spec": {
                "containers": [
                    {"name": "main", "image": image, "command": ["python3", "-m", "http.server", "8080"]}
                ],
                "terminationGracePeriodSeconds": 0,
            },
        }
        started = time.time()
        core.create_namespaced_pod(project, body)
        wait_for(
            lambda n=name: core.read_namespaced_pod(n, project).status.phase == "Running", 180, 0.05, name
        )
        running.append(time.time() - started)
        at = page.first(re.compile(rf'data-pod="{name}" data-status="Running"'), started)
        shown.append(at - started)
        print(f"pod {name}: Running after {running[-1]:.2f} s, shown after {shown[-1]:.2f} s", flush=True)
        core.delete_namespaced_pod(name, project, grace_period_seconds=0)
        wait_for(lambda n=name: not _exists(core, n, project), 120, 0.2, f"{name} gone")
    return {"pod create → Running (API)": running, "pod create → Running shown on the pods page": shown}


def _exists(core, name: str, project: str) -> bool:
    from kubernetes.client.exceptions import ApiException

    try:
        core.read_namespaced_pod(name, project)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _ready(replicas: int) -> re.Pattern:
    """The deployments page's row of SCALED showing ``replicas`` of ``replicas`` ready."""
    return re.compile(
        rf'data-deployment="{SCALED}">(?:(?!</tr>).)*?data-testid="deployment-ready">{replicas}/{replicas}<',
        re.S,
    )


def scaling(web, page: LivePage, project: str, samples: int) -> dict[str, list[float]]:
    """The scale form posted (1 → 3, then back to 1), until the page shows them ready."""
    up, down = [], []
    for _ in range(samples):
        for replicas, into in ((3, up), (1, down)):
            started = time.time()
            response = web.post(f"/projects/{project}/deployments/{SCALED}/scale/", {"replicas": replicas})
            assert response.status_code == 302, (response.status_code, response.content[:300])
            into.append(page.first(_ready(replicas), started) - started)
        print(f"scale: up {up[-1]:.2f} s, down {down[-1]:.2f} s", flush=True)
    return {"scale click 1 → 3 → three ready shown": up, "scale click 3 → 1 → one shown": down}


def building(cluster, alice, project: str, port: int, cookie: str, origin: str, builds: int) -> dict:
    """Build start → its first log line at a browser's websocket (the build page's),
    ``builds`` times: Import from Git, then starts by hand."""
    from builds import services
    from builds.models import Build, BuildConfig
    from projects import selectors as project_selectors
    from tests.e2e.test_real_builds import django_app

    name = f"{project}-app"
    bare = Path(cluster["GIT_ROOT"]) / f"{name}.git"
    work = Path(tempfile.mkdtemp(prefix="berth-bench-app-"))
    for path, text in django_app("version 0").items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=work, check=True)
    for args in (["add", "."], ["commit", "-q", "-m", "version 0"], ["push", "-q", str(bare), "main"]):
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@example.org", *args], cwd=work, check=True
        )
    project_obj = project_selectors.project_get(user=alice, name=project)
    first_line, first_pod_line = [], []
    try:
        with ThreadPoolExecutor(1) as viewers:
            for number in range(1, builds + 1):
                started = time.time()
                if number == 1:
                    data = {"git_uri": f"{cluster['GIT_SERVER']}{name}.git", "git_ref": "main", "port": 8080}
                    services.import_from_git(user=alice, project=project_obj, name="web", data=data)
                else:
                    config = BuildConfig.objects.get(project=project, name="web")
                    services.build_start(user=alice, config=config, project=project_obj)
                build = wait_for(
                    lambda n=number: Build.objects.filter(config__project=project, number=n).first(),
                    60,
                    0.05,
                    f"build {number}",
                )
                url = f"ws://127.0.0.1:{port}/ws/builds/{build.pk}/?after=0"
                (out,) = viewers.submit(watch_all, [url], cookie, origin, True).result(timeout=900)
                build.refresh_from_db()
                assert build.status == "Complete", build.message
                first_line.append(out["first_line"] - started)
                # Berth's own first line names the repository; the first from a pod is git's,
                # in the pod that reads the source.
                cloning = next(i for i, text in enumerate(out["texts"]) if "Cloning into" in text)
                first_pod_line.append(out["arrivals"][cloning] - started)
                print(
                    f"build {number}: first line after {first_line[-1]:.2f} s, "
                    f"the first from a pod after {first_pod_line[-1]:.2f} s",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(bare, ignore_errors=True)
    return {
        "build start → first log line in the browser (Berth's, naming the repository)": first_line,
        "build start → the first line from a pod in the browser (git's `Cloning into`)": first_pod_line,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [10, 5][len(args) :]))
