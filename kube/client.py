"""Per-person API clients, timeouts and error translation."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import urllib3
from django.conf import settings
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from kube.errors import (
    ClusterError,
    Conflict,
    Forbidden,
    ImpersonationRefused,
    Invalid,
    NotFound,
    Unavailable,
)

T = TypeVar("T")
RESERVED_PREFIX = "system:"
# The label on everything Berth creates, so that it can be told from what others made.
MANAGED_BY = ("app.kubernetes.io/managed-by", "berth")


@dataclass(frozen=True)
class Identity:
    """Who a cluster call is made as. ``user=None`` is Berth's own identity."""

    user: str | None
    groups: tuple[str, ...] = ()

    @property
    def is_system(self) -> bool:
        return self.user is None


def system_identity() -> Identity:
    return Identity(user=None)


def identity_for_user(user) -> Identity:
    """The identity of a signed-in Django user: their name and Django groups."""
    if not getattr(user, "is_authenticated", False):
        raise ImpersonationRefused("Sign in first.")
    groups = tuple(sorted(user.groups.values_list("name", flat=True)))
    return make_identity(user.get_username(), groups)


def make_identity(username: str, groups: tuple[str, ...] | list[str] = ()) -> Identity:
    if not username or username.startswith(RESERVED_PREFIX):
        raise ImpersonationRefused(
            f"The user name {username!r} is reserved by Kubernetes and cannot be used."
        )
    for group in groups:
        if group.startswith(RESERVED_PREFIX):
            raise ImpersonationRefused(f"The group {group!r} is reserved by Kubernetes and cannot be used.")
    return Identity(user=username, groups=tuple(groups))


_config_lock = threading.Lock()
_base_config: k8s.Configuration | None = None


def _load_base_config() -> k8s.Configuration:
    global _base_config
    with _config_lock:
        if _base_config is None:
            configuration = k8s.Configuration()
            try:
                if settings.KUBECONFIG:
                    k8s_config.load_kube_config(
                        config_file=settings.KUBECONFIG,
                        context=settings.KUBE_CONTEXT or None,
                        client_configuration=configuration,
                    )
                else:
                    k8s_config.load_incluster_config(client_configuration=configuration)
            except (ConfigException, OSError) as exc:
                raise Unavailable(
                    "No cluster is configured: set KUBECONFIG (and KUBE_CONTEXT), "
                    f"or run Berth inside a cluster. ({exc})"
                ) from exc
            _base_config = configuration
        return _base_config


def reset_config() -> None:
    """Forget the loaded kubeconfig (tests point Berth at another cluster)."""
    global _base_config
    with _config_lock:
        _base_config = None
        _clients.clear()


def impersonation_headers(identity: Identity) -> list[tuple[str, str]]:
    """The headers that make a call ``identity``'s: none for Berth's own, else the user and
    one ``Impersonate-Group`` per group (Kubernetes adds system:authenticated by itself)."""
    if identity.is_system:
        return []
    return [("Impersonate-User", identity.user), *(("Impersonate-Group", g) for g in identity.groups)]


class _Pool:
    """Wraps urllib3's pool: impersonation headers on every request, and no redirects.

    The client's default headers are a plain dict and cannot repeat
    ``Impersonate-Group``, which Kubernetes expects once per group. A redirect
    from the API server is never followed: a path it normalises (``..``) would
    otherwise be answered with another object than the one asked for.
    """

    def __init__(self, pool: urllib3.PoolManager, identity: Identity):
        self._pool = pool
        self._headers = urllib3.HTTPHeaderDict()
        for name, value in impersonation_headers(identity):
            self._headers.add(name, value)

    def request(self, method: str, url: str, headers=None, **kwargs):
        merged = urllib3.HTTPHeaderDict(headers or {})
        merged.extend(self._headers)
        kwargs["redirect"] = False
        return self._pool.request(method, url, headers=merged, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._pool, name)


_clients: dict[Identity, k8s.ApiClient] = {}
_clients_lock = threading.Lock()


def api_client(identity: Identity) -> k8s.ApiClient:
    """A (cached) API client that acts as ``identity``."""
    with _clients_lock:
        cached = _clients.get(identity)
        if cached is not None:
            return cached
    api = k8s.ApiClient(_load_base_config())
    api.rest_client.pool_manager = _Pool(api.rest_client.pool_manager, identity)
    with _clients_lock:
        # A bounded cache: one client per person who recently used Berth.
        if len(_clients) > 512:
            _clients.clear()
        return _clients.setdefault(identity, api)


def translate(exc: ApiException) -> ClusterError:
    """Turn the client's exception into one of Berth's, with a readable message."""
    return translate_status(exc.status or 0, exc.body, exc.reason)


def translate_status(status: int, body: str | bytes | None, reason: str | None = None) -> ClusterError:
    """One of Berth's errors for the API server's answer ``status`` with its Status ``body``
    (also for answers that come without the client: an exec websocket's refusal)."""
    try:
        parsed = json.loads(body or "{}")
    except (TypeError, ValueError):
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    message = parsed.get("message") or reason or "the cluster refused the request"
    if 300 <= status < 400:
        # Only a path the API server normalised is redirected: not the object asked for.
        return NotFound("The cluster has no object at that path.")
    if status == 404:
        return NotFound(message)
    if status == 403:
        return Forbidden(message)
    if status == 409:
        return Conflict(message)
    if status in (400, 422):
        causes = (parsed.get("details") or {}).get("causes") or []
        fields = {c.get("field", ""): c.get("message", "") for c in causes if c.get("field")}
        return Invalid(message, fields)
    return Unavailable(f"The cluster answered {status}: {message}")


@contextmanager
def translated() -> Iterator[None]:
    """Run cluster calls, raising Berth's errors instead of the client's."""
    try:
        yield
    except ApiException as exc:
        raise translate(exc) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise Unavailable(f"The cluster could not be reached: {_unreachable(exc)}") from exc


def _unreachable(exc: BaseException) -> str:
    """Why, in a person's words (not the client's exception class, nor the cluster's address)."""
    reason = getattr(exc, "reason", None) if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
    reason = reason or exc
    if isinstance(reason, urllib3.exceptions.SSLError):
        return "its TLS certificate was not accepted."
    # Before the timeouts: urllib3's NewConnectionError is a ConnectTimeoutError too.
    if isinstance(reason, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
        return "nothing answers at its address (is its API server running?)."
    if isinstance(reason, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return "it did not answer in time."
    if isinstance(reason, (urllib3.exceptions.ProtocolError, ConnectionError)):
        return "the connection broke off."
    return f"{type(reason).__name__}."


def timeout() -> tuple[float, float]:
    return (min(5.0, settings.KUBE_TIMEOUT), settings.KUBE_TIMEOUT)


def _refuse_path_tricks(args: tuple, kwargs: dict) -> None:
    """No object is named ``.``, ``..`` or with a ``/``: as a path segment such a name
    would be normalised away (by urllib3, or by the API server) and name another object
    (``pvcs/..`` is the namespace). The client's positional arguments are path
    parameters (name, namespace, group, plural…), as are ``name`` and ``namespace``."""
    values = [*args, kwargs.get("name"), kwargs.get("namespace")]
    for value in values:
        if isinstance(value, str) and (value in (".", "..") or "/" in value):
            raise NotFound(f"No object is named {value!r}.")


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a client method with Berth's timeout and error translation."""
    _refuse_path_tricks(args, kwargs)
    kwargs.setdefault("_request_timeout", timeout())
    with translated():
        return fn(*args, **kwargs)


@functools.cache
def _api_classes() -> dict[str, type]:
    return {
        "core": k8s.CoreV1Api,
        "apps": k8s.AppsV1Api,
        "batch": k8s.BatchV1Api,
        "rbac": k8s.RbacAuthorizationV1Api,
        "networking": k8s.NetworkingV1Api,
        "discovery": k8s.DiscoveryV1Api,
        "storage": k8s.StorageV1Api,
        "authorization": k8s.AuthorizationV1Api,
        "custom": k8s.CustomObjectsApi,
        "version": k8s.VersionApi,
        "apis": k8s.ApisApi,
    }


def api(identity: Identity, group: str):
    """An API group object (``core``, ``apps``, ``rbac``…) acting as ``identity``."""
    return _api_classes()[group](api_client(identity))


_groups_by_server: dict[str, frozenset[str]] = {}


def api_server() -> str:
    """The API server Berth talks to (its URL)."""
    return api_client(system_identity()).configuration.host


def api_group_served(group: str) -> bool:
    """Whether the cluster serves an API group (OpenShift's projects or routes, kwok's…).

    Asked once per API server: a cluster does not grow or lose an API while Berth runs.
    """
    server = api_server()
    if server not in _groups_by_server:
        groups = call(api(system_identity(), "apis").get_api_versions).groups or []
        _groups_by_server[server] = frozenset(g.name for g in groups)
    return group in _groups_by_server[server]


_PATH_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def object_path(api_version: str, plural: str, namespace: str, name: str = "") -> str:
    """The API path of a namespace's collection of ``plural`` (or of one object in it), for
    ``request_json``. DNS names only: nothing a path could normalise away."""
    for value in (namespace, name) if name else (namespace,):
        if not _PATH_NAME.match(value) or ".." in value:
            raise NotFound(f"No object is named {value!r}.")
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    return f"{prefix}/namespaces/{namespace}/{plural}" + (f"/{name}" if name else "")


def request_json(
    identity: Identity,
    method: str,
    path: str,
    body: dict | None = None,
    *,
    dry_run: bool = False,
    query: list[tuple[str, str]] | None = None,
) -> dict:
    """One call by API path as ``identity``, plain JSON both ways (nothing the client's models
    don't know is lost); with ``dry_run`` the API server validates, admits and stores nothing."""
    with translated():
        response = api_client(identity).call_api(
            path,
            method,
            query_params=[*(query or []), *([("dryRun", "All")] if dry_run else [])],
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
            _preload_content=False,
            _request_timeout=timeout(),
        )
    return json.loads(response.data)


def cluster_health() -> dict:
    info = call(api(system_identity(), "version").get_code)
    return {"version": info.git_version}


def can_i(
    identity: Identity,
    *,
    verb: str,
    resource: str,
    namespace: str = "",
    group: str = "",
    subresource: str = "",
) -> bool:
    """Ask the cluster, as the person, whether they may do something."""
    review = k8s.V1SelfSubjectAccessReview(
        spec=k8s.V1SelfSubjectAccessReviewSpec(
            resource_attributes=k8s.V1ResourceAttributes(
                verb=verb,
                resource=resource,
                subresource=subresource or None,
                namespace=namespace or None,
                group=group or None,
            )
        )
    )
    result = call(api(identity, "authorization").create_self_subject_access_review, review)
    return bool(result.status.allowed)


def parse_time(value: str | None) -> datetime | None:
    """A timestamp as the API writes it in raw (un-deserialised) objects."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
