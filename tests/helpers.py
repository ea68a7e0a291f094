"""Helpers shared by every test folder: waiting, people, projects, deployments,
websockets and actions. (Fixtures are in conftest.py.)"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.test import Client
from kubernetes import client

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and server logs
PASSWORD = "correct horse battery"
SMALL = {"cpu": "2", "memory": "4Gi", "pods": "10", "pvcs": "2", "storage": "10Gi"}


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def unique_name(prefix: str = "p") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def bind(
    admin_client,
    namespace: str,
    role: str,
    *,
    user: str | None = None,
    group: str | None = None,
    name: str | None = None,
) -> str:
    """A RoleBinding made outside Berth, as `kubectl create rolebinding` would."""
    kind, subject = ("User", user) if user else ("Group", group)
    name = name or f"outside-{role}-{subject}"
    client.RbacAuthorizationV1Api(admin_client).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": subject}],
        },
    )
    return name


def signed_in(user) -> Client:
    """A test client with ``user``'s session."""
    c = Client()
    c.force_login(user)
    return c


def session_cookie(user) -> bytes:
    return f"sessionid={signed_in(user).cookies['sessionid'].value}".encode()


def websocket(path: str, cookie: bytes):
    """A websocket through Berth's whole ASGI stack, from an allowed Origin."""
    from channels.testing import WebsocketCommunicator

    from console.asgi import application

    return WebsocketCommunicator(
        application,
        path,
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)],
    )


def make_deployment(
    admin_client,
    namespace: str,
    name: str = "web",
    image: str | None = None,
    replicas: int = 1,
    port: int = 8080,
    container: dict | None = None,
) -> None:
    """A Deployment made outside Berth (as kubectl would): pods labelled app=<name>; its one
    container named after it, unless ``container`` (more of its fields) says otherwise."""
    container = {
        "name": name,
        "image": image or f"{name}:1",
        "ports": [{"containerPort": port}],
        **(container or {}),
    }
    client.AppsV1Api(admin_client).create_namespaced_deployment(
        namespace,
        {
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
            },
        },
    )


def revision(admin_client, namespace: str, name: str) -> str:
    deployment = client.AppsV1Api(admin_client).read_namespaced_deployment(name, namespace)
    return (deployment.metadata.annotations or {}).get("deployment.kubernetes.io/revision", "")


def running_pods(admin_client, namespace: str, app: str) -> list[str]:
    pods = client.CoreV1Api(admin_client).list_namespaced_pod(namespace, label_selector=f"app={app}").items
    return [
        p.metadata.name for p in pods if p.status.phase == "Running" and not p.metadata.deletion_timestamp
    ]


def action_from(response):
    """The action a form just queued (the newest), once it has finished."""
    from actions.models import Action

    assert response.status_code in (200, 302), response.content[:300]
    action = Action.objects.latest("pk")
    return wait_for(
        lambda: action if (action.refresh_from_db() or action.is_finished) else None,
        timeout=60,
        message="the action to finish",
    )


# The URL configuration, walked: the permission matrix and its guards are made from it.

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
# Addressed by their own secret, not a session (tests/unit/builds/test_webhooks.py).
WEBHOOKS = {"builds:webhook-github", "builds:webhook-generic", "builds:webhook-generic-header"}
# The registry's token service: its callers present their own credentials (Basic auth),
# and what it grants is asked of the cluster (tests/e2e/test_real_builds.py).
TOKEN_SERVICE = {"images:registry-token"}
# Addressed by an object's id; access follows the object's project.
OBJECT_PAGES = {"actions:detail"}
# Not about any one project: every signed-in person's (or anyone's) pages.
GLOBAL_PAGES = {"home", "login", "logout", "healthz", "projects:list", "projects:create", "projects:switch"}


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "projects/<label:name>/deployments/<subdomain:deployment>/scale/"
    name: str  # "namespace:name"
    view: object

    def url(self, values: dict) -> str:
        return "/" + CONVERTER.sub(lambda m: str(values[m.group(2)]), self.pattern)


def url_routes() -> list[Route]:
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix: str = "", namespace: str = ""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}".strip(":")
                yield Route(prefix + str(entry.pattern), name, entry.callback)

    return list(walk(get_resolver().url_patterns))


def project_routes() -> list[Route]:
    """Every page under ``projects/<label:name>/`` (webhooks aside)."""
    return [r for r in url_routes() if "<label:name>" in r.pattern and r.name not in WEBHOOKS]


def object_routes() -> list[Route]:
    return [r for r in url_routes() if r.name in OBJECT_PAGES]


def websocket_patterns() -> list[str]:
    from console.routing import websocket_urlpatterns

    return [str(p.pattern) for p in websocket_urlpatterns]
