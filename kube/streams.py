"""One reader for streamed responses: a pod's log, followed line by line.

Every log follower (pod logs in a websocket, a build's log in the worker) reads
through :class:`LineStream`, so closing, decoding and partial lines are handled
in one place.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Iterator

import urllib3

from kube.client import Identity, api, call
from kube.errors import ClusterError

IDLE = object()  # yielded by LogFollow when no line came for a while


class LineStream:
    """An open streamed response, read as lines (without their newline).

    :meth:`close` may be called from another thread: it shuts the socket down,
    so a reader blocked on it returns at once instead of at the read timeout.
    """

    def __init__(self, response: urllib3.HTTPResponse):
        self._response = response
        self._closed = False

    def __iter__(self) -> Iterator[str]:
        buffer = b""
        try:
            for chunk in self._response.stream(64 * 1024, decode_content=True):
                buffer += chunk
                *complete, buffer = buffer.split(b"\n")
                for line in complete:
                    yield line.decode("utf-8", "replace")
            if buffer:
                yield buffer.decode("utf-8", "replace")
        except (OSError, ValueError, AttributeError, urllib3.exceptions.HTTPError):
            return  # closed by close(), or the connection dropped: callers look at the pod
        finally:
            with contextlib.suppress(Exception):
                self._response.release_conn()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        sock = getattr(getattr(self._response, "connection", None), "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self._response.close()


def pod_log_stream(
    identity: Identity,
    *,
    namespace: str,
    pod: str,
    container: str | None = None,
    tail_lines: int | None = None,
    timestamps: bool = False,
    since_seconds: int | None = None,
    read_timeout: float = 3600,
) -> LineStream:
    """Follow a container's log as ``identity`` (the API refuses without ``pods/log``)."""
    response = call(
        api(identity, "core").read_namespaced_pod_log,
        pod,
        namespace,
        container=container or None,
        follow=True,
        tail_lines=tail_lines,
        timestamps=timestamps,
        since_seconds=since_seconds,
        _preload_content=False,
        _request_timeout=(5, read_timeout),
    )
    return LineStream(response)


class LogFollow:
    """Follow a container's log as the person, line by line, with an idle tick.

    Iterating yields each line (without its newline) or :data:`IDLE` when no line
    came for ``idle`` seconds, so the caller can look at the pod (a build, a command) between lines.
    A reader thread owns the stream; :meth:`close` shuts it, so the thread never
    stays blocked for the whole read timeout.
    """

    _END = object()

    def __init__(
        self,
        identity: Identity,
        *,
        namespace: str,
        pod: str,
        container: str,
        idle: float = 0.5,
        timestamps: bool = False,
        since_seconds: int | None = None,
        read_timeout: float = 3600,
    ):
        self.idle = idle
        self._lines: queue.Queue = queue.Queue()
        self._stream = pod_log_stream(
            identity,
            namespace=namespace,
            pod=pod,
            container=container,
            timestamps=timestamps,
            since_seconds=since_seconds,
            read_timeout=read_timeout,
        )
        self._thread = threading.Thread(target=self._read, name=f"log-{namespace}/{pod}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._stream:
                self._lines.put(line)
        finally:
            self._lines.put(self._END)

    def __iter__(self) -> Iterator[object]:
        while True:
            try:
                item = self._lines.get(timeout=self.idle)
            except queue.Empty:
                yield IDLE
                continue
            if item is self._END:
                return
            yield item

    def close(self) -> None:
        self._stream.close()
        self._thread.join(timeout=5)


def container_log_follow(
    identity: Identity,
    *,
    namespace: str,
    pod: str,
    container: str,
    idle: float = 0.5,
    wait: float = 600.0,
    timestamps: bool = False,
    since_seconds: int | None = None,
    read_timeout: float = 3600,
) -> LogFollow | None:
    """Open the follow as soon as the cluster serves the container's log.

    Until the container starts (an init container still cloning, a kwok log not
    attached yet) the API answers 400/404/500: try again while the pod lives. None
    when the pod finished without ever running the container (an earlier step
    failed): there is nothing to follow.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            return LogFollow(
                identity,
                namespace=namespace,
                pod=pod,
                container=container,
                idle=idle,
                timestamps=timestamps,
                since_seconds=since_seconds,
                read_timeout=read_timeout,
            )
        except ClusterError:
            current = call(api(identity, "core").read_namespaced_pod, pod, namespace)  # gone: NotFound
            statuses = (current.status.init_container_statuses or []) + (
                current.status.container_statuses or []
            )
            started = any(
                s.name == container and s.state and (s.state.running or s.state.terminated) for s in statuses
            )
            if current.status.phase in ("Succeeded", "Failed") and not started:
                return None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
