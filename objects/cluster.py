"""Any object Berth lists, read and replaced as the person by its API path."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kube.client import Identity, api_client, timeout, translated
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


def _request(
    identity: Identity, method: str, path: str, body: dict | None = None, dry_run: bool = False
) -> dict:
    with translated():
        response = api_client(identity).call_api(
            path,
            method,
            query_params=[("dryRun", "All")] if dry_run else [],
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
            _preload_content=False,  # plain JSON: nothing the client's models don't know is lost
            _request_timeout=timeout(),
        )
    return json.loads(response.data)


def object_get(identity: Identity, *, kind: Kind, namespace: str, name: str) -> dict:
    return _request(identity, "GET", kind.path(namespace, name))


def object_replace(
    identity: Identity, *, kind: Kind, namespace: str, name: str, body: dict, dry_run: bool
) -> dict:
    """PUT the object as the person; with ``dry_run`` the API server validates and
    answers with what it would store, and stores nothing."""
    return _request(identity, "PUT", kind.path(namespace, name), body, dry_run=dry_run)
