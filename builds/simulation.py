"""Simulated builds, for clusters whose pods run no containers (kwok's fake nodes).

Nothing is cloned in the pod, built or pushed (the worker reads the source for
the plan, since no source pod can run here). Berth gives the build pod a log
that says so on every line, served by kwok from a file named by kwok's ``Logs``
object, and kwok completes the Job. The rest of the path — Job, pod, following
the log through the API as the person, storing and publishing it — is the real
one. ``builds.backends`` chooses this module once, and only for such clusters;
the real path never imports it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shlex
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from builds.cluster import BUILD_CONTAINER, BuildPod, BuildSpec, buildah_commands
from builds.source import SourceRead, read_in_worker
from kube.client import api, call, system_identity
from kube.errors import Conflict

KWOK_GROUP = "kwok.x-k8s.io"
KWOK_VERSION = "v1alpha1"
# kwok's conventions for its fake nodes: a label, and a taint that keeps real pods off.
KWOK_PLACEMENT = {
    "node_selector": {"type": "kwok"},
    "tolerations": (
        {"key": "kwok.x-k8s.io/node", "operator": "Equal", "value": "fake", "effect": "NoSchedule"},
    ),
}


def simulated_digest(namespace: str, pod: str) -> str:
    return "sha256:" + hashlib.sha256(f"berth-simulated:{namespace}/{pod}".encode()).hexdigest()


def _cri(lines: Iterable[str]) -> bytes:
    """Lines in the CRI log format kwok serves (``<time> stdout F <text>``)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return "".join(
        f"{stamp} stdout F {part}\n" for line in lines for part in line.splitlines() or [""]
    ).encode()


def _append(path: Path, lines: Iterable[str]) -> None:
    # One write per call, in append mode: a follower never reads half a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, _cri(lines))
    finally:
        os.close(fd)


def _serve_as_pod_log(namespace: str, pod: str, path: Path) -> None:
    """Make kwok serve ``path`` as the pod's log, with Berth's identity: kwok's objects
    are not something a project member is given."""
    spec = {"logs": [{"logsFile": str(path), "follow": True}]}
    body = {
        "apiVersion": f"{KWOK_GROUP}/{KWOK_VERSION}",
        "kind": "Logs",
        "metadata": {"name": pod, "namespace": namespace},
        "spec": spec,
    }
    objects = api(system_identity(), "custom")
    try:
        call(objects.create_namespaced_custom_object, KWOK_GROUP, KWOK_VERSION, namespace, "logs", body)
    except Conflict:
        call(
            objects.patch_namespaced_custom_object,
            KWOK_GROUP,
            KWOK_VERSION,
            namespace,
            "logs",
            pod,
            {"spec": spec},
        )


class LogSimulation:
    """Writes a build pod's simulated log into the file kwok serves as the pod's log.

    ``lines_written`` and ``done`` let the follower know when it has read everything.
    """

    def __init__(self, *, namespace: str, pod: str, lines: list[str], rate: float, extra_lines: int = 0):
        directory = Path(settings.DATA_DIR).resolve() / "build-logs" / namespace
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{pod}.log"
        self.path.write_bytes(b"")
        self.lines = lines
        self.rate = max(1.0, rate)
        self.extra_lines = extra_lines
        self.lines_written = 0
        self.done = threading.Event()
        self.stopped = threading.Event()
        _serve_as_pod_log(namespace, pod, self.path)
        self._thread = threading.Thread(target=self._write, name=f"simulate-{namespace}/{pod}", daemon=True)
        self._thread.start()

    def extra_line(self, index: int) -> str:
        return f"(simulated) pip: output line {index + 1}"

    def _line(self, k: int) -> str:
        # The extra lines go before the last two (the push), made when written.
        head = len(self.lines) - 2
        if k < head:
            return self.lines[k]
        if k < head + self.extra_lines:
            return self.extra_line(k - head)
        return self.lines[k - self.extra_lines]

    def _write(self) -> None:
        try:
            total = len(self.lines) + self.extra_lines
            interval = 1.0 / self.rate
            batch = max(1, int(self.rate / 50))  # about fifty writes a second
            start = time.monotonic()
            for index in range(0, total, batch):
                if self.stopped.is_set():
                    return
                chunk = [self._line(k) for k in range(index, min(total, index + batch))]
                _append(self.path, chunk)
                self.lines_written += len(chunk)
                delay = start + (index + len(chunk)) * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        finally:
            self.done.set()

    def stop(self) -> None:
        self.stopped.set()
        self._thread.join(timeout=5)


def simulated_lines(
    *, namespace: str, pod: str, spec: BuildSpec, dockerfile: str, post_commit: str, output_repository: str
) -> list[str]:
    """What the pod would print, each step marked: the cluster runs no containers."""
    lines = [
        "\x1b[35m[devcluster]\x1b[0m This cluster runs no containers: the lines below are simulated "
        "by Berth. Nothing is cloned in the pod, built or pushed.",
        f"(simulated) git clone --no-checkout {spec.git_uri} /workspace/src",
        f"(simulated) git checkout --detach {spec.commit}",
    ]
    lines += ["(simulated) " + shlex.join(command) for command in buildah_commands(spec)[:1]]
    steps: list[str] = []
    current = ""
    for raw in (dockerfile or f"# the repository's {spec.dockerfile_path}").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        current = f"{current} {raw.strip()}" if current else raw.strip()
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        steps.append(current)
        current = ""
    for number, step in enumerate(steps, start=1):
        lines.append(f"\x1b[36mINFO\x1b[0m (simulated) STEP {number}/{len(steps)}: {step[:300]}")
    if post_commit:
        lines.append(f"(simulated) post-commit: {post_commit}")
    lines += [
        f"\x1b[36mINFO\x1b[0m (simulated) Pushing image to {spec.output_image}",
        f"\x1b[32mINFO\x1b[0m (simulated) Pushed {output_repository}@{simulated_digest(namespace, pod)}",
    ]
    return lines


class SimulatedBuilder:
    """A build whose pod runs nothing: a simulated log, a made-up (labelled) digest."""

    simulated = True
    containers = (BUILD_CONTAINER,)
    timestamps = False
    # Only a fake node serves the simulated log; beside a real node, the build pod must not run there.
    placement = KWOK_PLACEMENT

    def __init__(self) -> None:
        self._simulation: LogSimulation | None = None

    def begin(
        self,
        *,
        namespace: str,
        pod: str,
        spec: BuildSpec,
        dockerfile: str,
        post_commit: str,
        output_repository: str,
    ) -> None:
        self._simulation = LogSimulation(
            namespace=namespace,
            pod=pod,
            lines=simulated_lines(
                namespace=namespace,
                pod=pod,
                spec=spec,
                dockerfile=dockerfile,
                post_commit=post_commit,
                output_repository=output_repository,
            ),
            rate=settings.BERTH_BUILD_SIMULATION_RATE,
            extra_lines=settings.BERTH_BUILD_SIMULATION_EXTRA_LINES,
        )

    def read_source(self, identity, *, namespace: str, config, git_ref: str) -> SourceRead:
        read = read_in_worker(git_uri=config.git_uri, git_ref=git_ref, context_dir=config.context_dir)
        note = "\x1b[35m[devcluster]\x1b[0m This cluster runs no containers: Berth's worker read the source."
        return dataclasses.replace(read, output=[note, *read.output])

    def caught_up(self, received: int) -> bool:
        simulation = self._simulation
        return simulation is not None and simulation.done.is_set() and received >= simulation.lines_written

    def digest(self, *, namespace: str, pod: BuildPod) -> str:
        return simulated_digest(namespace, pod.name)

    def end(self) -> None:
        if self._simulation is not None:
            self._simulation.stop()
