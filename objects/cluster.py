"""Any object Berth lists, read and replaced as the person by its API path."""

from __future__ import annotations

from dataclasses import dataclass

from kube.client import Identity, object_path, request_json


@dataclass(frozen=True)
class Kind:
    name: str  # in Berth's URLs: "deployment"
    api_version: str  # "apps/v1"
    plural: str  # "deployments"
    label: str  # "Deployment"

    def path(self, namespace: str, name: str) -> str:
        return object_path(self.api_version, self.plural, namespace, name)


def object_get(identity: Identity, *, kind: Kind, namespace: str, name: str) -> dict:
    return request_json(identity, "GET", kind.path(namespace, name))


def object_replace(
    identity: Identity, *, kind: Kind, namespace: str, name: str, body: dict, dry_run: bool
) -> dict:
    """PUT the object as the person; with ``dry_run`` the API server validates and
    answers with what it would store, and stores nothing."""
    return request_json(identity, "PUT", kind.path(namespace, name), body, dry_run=dry_run)
