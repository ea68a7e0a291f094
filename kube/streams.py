"""One reader for streamed responses: a pod's log, followed line by line.

Every log follower (pod logs in a websocket, a build's log in the worker) reads
through :class:`LineStream`, so closing, decoding and partial lines are handled
in one place.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import urllib3

from kube.client import Identity, api, call


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
