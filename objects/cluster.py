"""Any object Berth lists, read and replaced as the person by its API path."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kube.client import Identity, request_json
from kube.errors import NotFound

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class Kind:
    name: str  # in Berth's URLs: "deployment"
    api_version: str  # "apps/v1"
    plural: str  # "deployments"
    label: str  # "Deployment"

    def path(self, namespace: str, name: str) -> str:
        prefix = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        for value in (namespace, name):  # DNS names only: nothing a path could normalise away
            if not _NAME.match(value) or ".." in value:
                raise NotFound(f"No object is named {value!r}.")
        return f"{prefix}/namespaces/{namespace}/{self.plural}/{name}"


def object_get(identity: Identity, *, kind: Kind, namespace: str, name: str) -> dict:
    return request_json(identity, "GET", kind.path(namespace, name))


def object_replace(
    identity: Identity, *, kind: Kind, namespace: str, name: str, body: dict, dry_run: bool
) -> dict:
    """PUT the object as the person; with ``dry_run`` the API server validates and
    answers with what it would store, and stores nothing."""
    return request_json(identity, "PUT", kind.path(namespace, name), body, dry_run=dry_run)
