"""Shared list-then-watch caches, one per (namespace, resource) per process.

Every viewer of a namespace's pods (or deployments) is served from the same
cache: one LIST, then one WATCH, restarted from a fresh LIST on ``410 Gone``.
The cache reads with Berth's own identity; callers authorise each viewer
(``workloads.cluster.can_list``) before showing them anything. The project
index (``projects.cluster``) keeps cluster-wide ones the same way: project
namespaces, RoleBindings and quotas, filtered to the person.

Objects are kept as compact summaries (see ``workloads.pod_summary``), not as
the client's models, so that thousands of pods cost little memory.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kube.client import api, system_identity

logger = logging.getLogger(__name__)
# A watch that broke tries again after 1, 2, 4, 5, 5… s: pages resume within seconds of the
# API server's return, at one LIST per informer every 5 s while it is away.
RETRY_MAX_SECONDS = 5.0

_generations = itertools.count(1)

Listener = Callable[[str, Any], None]  # (event type, summary or key) — called from the watch thread


@dataclass(frozen=True)
class Kind:
    """What an informer lists and watches.

    ``method`` is the client's list function: namespaced (called with the informer's
    namespace) unless ``everywhere``, for a cluster-scoped kind or one listed across all
    namespaces; objects of such an informer are keyed ``namespace/name`` (or ``name``
    for cluster-scoped ones) rather than ``name``.
    """

    name: str
    group: str
    method: str
    everywhere: bool = False
    label_selector: str = ""
    field_selector: str = ""


KINDS: dict[str, Kind] = {
    "pods": Kind("pods", "core", "list_namespaced_pod"),
    "deployments": Kind("deployments", "apps", "list_namespaced_deployment"),
}
EVERYWHERE = ""  # the namespace of an informer whose kind is listed ``everywhere``


class Informer:
    """A namespace's objects of one kind, kept current by a watch thread."""

    def __init__(self, namespace: str, kind: Kind, summarise: Callable[[dict], Any]):
        self.namespace = namespace
        self.kind = kind
        self.resource = kind.name
        self._summarise = summarise
        self._objects: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._listeners: set[Listener] = set()
        self._synced = threading.Event()
        self._tried = threading.Event()  # the first LIST has answered, or failed
        self._stop = threading.Event()
        self.connected = False
        self.last_used = time.monotonic()
        self._response = None
        self.lists = 0  # how many LISTs this informer made (tests and benchmarks count them)
        self.watches = 0
        # Changes with every change of the objects, and is never the same in two informers
        # (drawn from one process-wide counter): what a caller derives holds until it moves.
        self.generation = next(_generations)
        self._thread = threading.Thread(
            target=self._run, name=f"informer-{kind.name}-{namespace or 'all'}", daemon=True
        )
        self._thread.start()

    # Reading -----------------------------------------------------------
    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def wait_listed(self, timeout: float) -> bool:
        """Whether the cache holds a LIST's objects, waiting at most ``timeout`` for the first
        LIST to answer: False at once when it failed and no later one has succeeded (the
        informer goes on trying)."""
        self._tried.wait(timeout)
        return self._synced.is_set()

    def snapshot(self) -> list[Any]:
        with self._lock:
            self.last_used = time.monotonic()
            return list(self._objects.values())

    def get(self, key: str) -> Any | None:
        """The summary of the object ``key`` names (``name``, or ``namespace/name`` for an
        informer over every namespace)."""
        with self._lock:
            self.last_used = time.monotonic()
            return self._objects.get(key)

    def read(self, derive: Callable[[dict[str, Any]], Any]) -> tuple[int, Any]:
        """``derive(objects)`` under the lock, with the generation it saw (``objects`` must
        not be kept or changed)."""
        with self._lock:
            self.last_used = time.monotonic()
            return self.generation, derive(self._objects)

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)

    # Listening ---------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.add(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)
            self.last_used = time.monotonic()

    def idle_for(self) -> float:
        """Seconds since anyone read or listened; 0 while someone listens."""
        with self._lock:
            return 0.0 if self._listeners else time.monotonic() - self.last_used

    @property
    def listener_count(self) -> int:
        with self._lock:
            return len(self._listeners)

    def stop(self) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            # Wake the thread blocked in the watch's read rather than wait for its timeout.
            with contextlib.suppress(Exception):
                response.shutdown()

    def _notify(self, kind: str, payload: Any) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(kind, payload)
            except Exception:  # one broken viewer must not stop the watch
                logger.exception("informer listener failed")

    # The loop -----------------------------------------------------------
    def _key(self, metadata: dict) -> str:
        namespace = metadata.get("namespace") if self.kind.everywhere else None
        return f"{namespace}/{metadata['name']}" if namespace else metadata["name"]

    def _call(self, **kwargs):
        function = getattr(api(system_identity(), self.kind.group), self.kind.method)
        for selector in ("label_selector", "field_selector"):
            if getattr(self.kind, selector):
                kwargs[selector] = getattr(self.kind, selector)
        if self.kind.everywhere:
            return function(**kwargs)
        return function(self.namespace, **kwargs)

    def _relist(self) -> str:
        response = self._call(_preload_content=False, _request_timeout=(5, 60))
        body = json.loads(response.data)
        self.lists += 1
        fresh = {self._key(item["metadata"]): self._summarise(item) for item in body.get("items", [])}
        with self._lock:
            self._objects = fresh
            self.generation = next(_generations)
        self._synced.set()
        self._tried.set()
        self._notify("RESYNC", None)
        return body["metadata"]["resourceVersion"]

    def _watch(self, resource_version: str) -> str | None:
        """Follow changes from ``resource_version``; returns the last one seen, None on 410 Gone."""
        response = self._call(
            watch=True,
            resource_version=resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=240,
            _preload_content=False,
            _request_timeout=(5, 270),
        )
        self.watches += 1
        self._response = response
        buffer = b""
        try:
            for chunk in response.stream(4096, decode_content=True):
                if self._stop.is_set():
                    return resource_version
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    kind, obj = event["type"], event["object"]
                    if kind == "ERROR":
                        if obj.get("code") == 410:
                            return None
                        raise RuntimeError(f"watch error: {obj.get('message')}")
                    resource_version = obj["metadata"].get("resourceVersion", resource_version)
                    if kind == "BOOKMARK":
                        continue
                    key = self._key(obj["metadata"])
                    if kind == "DELETED":
                        with self._lock:
                            self._objects.pop(key, None)
                            self.generation = next(_generations)
                        self._notify("DELETED", key)
                    else:
                        summary = self._summarise(obj)
                        with self._lock:
                            self._objects[key] = summary
                            self.generation = next(_generations)
                        self._notify(kind, summary)
        finally:
            self._response = None
            response.release_conn()
        return resource_version

    def _run(self) -> None:
        backoff = 1.0
        resource_version: str | None = None
        while not self._stop.is_set():
            try:
                if resource_version is None:
                    resource_version = self._relist()
                if not self.connected:
                    self.connected = True
                    self._notify("CONNECTED", None)
                resource_version = self._watch(resource_version)
                backoff = 1.0
            except Exception as exc:  # network, API or decoding errors: relist after a pause
                if self._stop.is_set():
                    return
                self._tried.set()
                where = self.namespace or "every namespace"
                logger.warning("watch of %s in %s broke (%s); retrying", self.resource, where, exc)
                if self.connected:
                    self.connected = False
                    self._notify("DISCONNECTED", str(exc))
                resource_version = None  # events may have been missed: start from a fresh LIST
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RETRY_MAX_SECONDS)


_informers: dict[tuple[str, str], Informer] = {}
_registry_lock = threading.Lock()
IDLE_SECONDS = 600.0  # a cache nobody has read or watched for this long is dropped


def informer_for(namespace: str, resource: str | Kind, summarise: Callable[[dict], Any]) -> Informer:
    """The process's informer for (namespace, resource), started on first use; ``resource``
    names one of :data:`KINDS` or is a :class:`Kind` of the caller's (its ``name`` is its key).

    Idle informers are stopped on the way, so a process does not keep watching
    every namespace anyone ever opened.
    """
    kind = resource if isinstance(resource, Kind) else KINDS[resource]
    key = (namespace, kind.name)
    with _registry_lock:
        for other_key, other in list(_informers.items()):
            if other_key != key and other.idle_for() > IDLE_SECONDS:
                other.stop()
                del _informers[other_key]
        informer = _informers.get(key)
        if informer is None:
            informer = _informers[key] = Informer(namespace, kind, summarise)
        return informer


def informers() -> dict[tuple[str, str], Informer]:
    with _registry_lock:
        return dict(_informers)


def stop_all() -> None:
    """Stop every informer of the process (before its cluster goes away)."""
    with _registry_lock:
        for informer in _informers.values():
            informer.stop()
        _informers.clear()
