"""Simulated container logs for pods on kwok's fake nodes.

kwok answers the kubelet's ``/containerLogs`` endpoint from a file named by a ``Logs``
object (one pod, same name and namespace as the pod) or a ``ClusterLogs`` object (pods
chosen by namespace and name). The apiserver forwards ``pods/log`` requests to kwok on
127.0.0.1, so ``kubectl logs -f`` and the Python client's ``read_namespaced_pod_log``
work unchanged, and a follower receives lines appended to the file later.

The file must be in the CRI log format the kubelet reads:
``2026-01-01T00:00:00.000000Z stdout F some text``. The helpers here write that format.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from kubernetes import client
from kubernetes.client.exceptions import ApiException

GROUP = "kwok.x-k8s.io"
VERSION = "v1alpha1"
_CRI_LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\S+ (stdout|stderr) [FP](:\S*)? ")


def cri_line(text: str, stream: str = "stdout", when: datetime | None = None) -> str:
    """One complete ("F") CRI log line; `text` must not contain a newline."""
    if stream not in ("stdout", "stderr"):
        raise ValueError(f"stream must be stdout or stderr, not {stream!r}")
    stamp = (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{stamp} {stream} F {text}\n"


def _render(lines: Iterable[str], stream: str) -> str:
    out = []
    for line in lines:
        # A multi-line string becomes several log lines, as a program's output would.
        out.extend(cri_line(part, stream) for part in line.splitlines() or [""])
    return "".join(out)


def write_lines(path: Path, lines: Iterable[str], stream: str = "stdout") -> Path:
    """Create (or truncate) a CRI log file holding `lines`. Returns its absolute path."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_render(lines, stream))
    return path


def append_lines(path: Path, lines: Iterable[str], stream: str = "stdout") -> None:
    """Append lines the way a running container would; followers see them next."""
    data = _render(lines, stream).encode()
    # One write per call, in append mode: a follower never reads half a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def is_cri(path: Path) -> bool:
    with path.open("rb") as fh:
        first = fh.readline()
    return not first or bool(_CRI_LINE.match(first))


def prepare_file(source: Path, directory: Path) -> Path:
    """`source` itself if it is already in CRI format, else a CRI copy in `directory`."""
    source = source.resolve()
    if is_cri(source):
        return source
    target = directory.resolve() / f"{source.stem}.cri.log"
    return write_lines(target, source.read_text().splitlines())


def _spec(path: Path, containers: Iterable[str] | None, previous: Path | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"logsFile": str(path.resolve()), "follow": True}
    if containers:
        entry["containers"] = list(containers)
    if previous is not None:
        entry["previousLogsFile"] = str(previous.resolve())
    return {"logs": [entry]}


def attach_pod_log(
    api: client.ApiClient,
    namespace: str,
    pod: str,
    path: Path,
    *,
    containers: Iterable[str] | None = None,
    previous: Path | None = None,
) -> dict[str, Any]:
    """Serve `path` as the log of `pod` (all its containers unless `containers` is given).

    The Logs object lives in the pod's namespace, so it goes when the namespace goes.
    """
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Logs",
        "metadata": {"name": pod, "namespace": namespace},
        "spec": _spec(path, containers, previous),
    }
    objects = client.CustomObjectsApi(api)
    try:
        return objects.create_namespaced_custom_object(GROUP, VERSION, namespace, "logs", body)
    except ApiException as exc:
        if exc.status != 409:
            raise
        return objects.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, "logs", pod, {"spec": body["spec"]}
        )


def attach_namespace_log(
    api: client.ApiClient,
    namespace: str,
    path: Path,
    *,
    pods: Iterable[str] | None = None,
    containers: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Serve `path` as the log of every pod in `namespace` (or of the named `pods`),
    including pods created later, such as a Deployment's. Cluster-scoped: remove it with
    :func:`detach_namespace_log`."""
    selector: dict[str, Any] = {"matchNamespaces": [namespace]}
    if pods:
        selector["matchNames"] = list(pods)
    name = f"devcluster-{namespace}"
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ClusterLogs",
        "metadata": {"name": name},
        "spec": {**_spec(path, containers, None), "selector": selector},
    }
    objects = client.CustomObjectsApi(api)
    try:
        return objects.create_cluster_custom_object(GROUP, VERSION, "clusterlogs", body)
    except ApiException as exc:
        if exc.status != 409:
            raise
        return objects.patch_cluster_custom_object(
            GROUP, VERSION, "clusterlogs", name, {"spec": body["spec"]}
        )


def detach_namespace_log(api: client.ApiClient, namespace: str) -> None:
    try:
        client.CustomObjectsApi(api).delete_cluster_custom_object(
            GROUP, VERSION, "clusterlogs", f"devcluster-{namespace}"
        )
    except ApiException as exc:
        if exc.status != 404:
            raise


def wait_for_log(
    api: client.ApiClient,
    namespace: str,
    pod: str,
    *,
    contains: str = "",
    container: str | None = None,
    timeout: float = 30.0,
) -> str:
    """Poll the pod's log through the API until it is served (and holds `contains`).

    kwok learns about a new Logs object through a watch, and the pod must be Running
    on a fake node, so the first requests may fail for a moment.
    """
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    last_error = ""
    while True:
        try:
            kwargs: dict[str, Any] = {"_request_timeout": 10}
            if container:
                kwargs["container"] = container
            text = core.read_namespaced_pod_log(pod, namespace, **kwargs)
            if contains in text:
                return text
            last_error = f"log so far: {text[-500:]!r}"
        except ApiException as exc:
            if exc.status not in (400, 404, 500, 502, 503):
                raise
            last_error = f"{exc.status} {exc.reason}: {(exc.body or '')[:300]}"
        if time.monotonic() > deadline:
            raise TimeoutError(f"log of {namespace}/{pod} not served within {timeout:.0f}s ({last_error})")
        time.sleep(0.2)


class LogFollower:
    """Follow a pod's log through the API (``pods/log?follow=true``) in a thread.

    Lines arrive in order through :meth:`next_line`. :meth:`close` (or leaving the
    ``with`` block) ends the stream: the socket is shut down first, because a reader
    blocked in ``recv`` holds the response's buffer lock and a plain close would wait
    for the read timeout.
    """

    _END = object()

    def __init__(
        self, api: client.ApiClient, namespace: str, pod: str, *, container: str | None = None
    ) -> None:
        kwargs: dict[str, Any] = {"follow": True, "_preload_content": False, "_request_timeout": (10, 300)}
        if container:
            kwargs["container"] = container
        self._response = client.CoreV1Api(api).read_namespaced_pod_log(pod, namespace, **kwargs)
        self._lines: queue.Queue[object] = queue.Queue()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, name=f"follow {namespace}/{pod}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self._response:
                self._lines.put(raw.decode(errors="replace").rstrip("\n"))
        except Exception as exc:  # a stream cut by close() ends this way too
            self.error = exc
        finally:
            self._lines.put(self._END)

    def next_line(self, timeout: float = 30.0) -> str:
        try:
            item = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no log line within {timeout:.0f}s") from None
        if item is self._END:
            self._lines.put(self._END)  # stay ended for later calls
            raise EOFError(f"the log stream ended ({self.error or 'closed by the server'})")
        return str(item)

    def close(self) -> None:
        connection = getattr(self._response, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=10)
        self._response.release_conn()
        self._response.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
