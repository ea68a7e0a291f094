"""Helpers for project tests against the devcluster."""

from __future__ import annotations

import secrets

from kubernetes import client

SMALL = {"cpu": "2", "memory": "4Gi", "pods": "10", "pvcs": "2", "storage": "10Gi"}


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
