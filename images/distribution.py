"""Reading and writing the integrated registry (the distribution HTTP API), with tokens
Berth signs for itself once the cluster said the person may (``images.registry``)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings

from images import registry

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    )
)
TIMEOUT = 15


class RegistryError(Exception):
    """The registry refused or could not be reached; the message says which."""


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    body: bytes


def _request(method: str, path: str, *, access: list[dict], body: bytes | None = None, headers=None):
    host, _, port = settings.BERTH_BUILD_REGISTRY.rpartition(":")
    token = registry.issue_token(subject="berth", access=access)["token"]
    conn_class = (
        http.client.HTTPConnection if settings.BERTH_BUILD_REGISTRY_INSECURE else http.client.HTTPSConnection
    )
    conn = conn_class(host, int(port or 443), timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    except OSError as exc:
        raise RegistryError(f"The registry {settings.BERTH_BUILD_REGISTRY} did not answer: {exc}") from exc
    finally:
        conn.close()


def _scope(repository: str, *actions: str) -> list[dict]:
    return [{"type": "repository", "name": repository, "actions": list(actions)}]


def repositories(*, project: str) -> list[str]:
    """The project's repositories (``<project>/<name>``): the catalog is sorted, so the
    listing starts just before the project's prefix and stops after it."""
    found: list[str] = []
    last = f"{project}/"
    access = [{"type": "registry", "name": "catalog", "actions": ["*"]}]
    while True:
        status, _, body = _request("GET", f"/v2/_catalog?n=100&last={quote(last)}", access=access)
        if status != 200:
            raise RegistryError(f"The registry answered {status} listing repositories.")
        names = json.loads(body).get("repositories") or []
        mine = [name for name in names if name.startswith(f"{project}/")]
        found += [name for name in mine if name.count("/") == 1]
        if len(mine) < len(names) or len(names) < 100:
            return found
        last = names[-1]


def tags(repository: str) -> list[str]:
    status, _, body = _request("GET", f"/v2/{repository}/tags/list", access=_scope(repository, "pull"))
    if status == 404:
        return []
    if status != 200:
        raise RegistryError(f"The registry answered {status} listing the tags of {repository}.")
    return sorted(json.loads(body).get("tags") or [])


def manifest(repository: str, reference: str) -> Manifest | None:
    status, headers, body = _request(
        "GET",
        f"/v2/{repository}/manifests/{quote(reference, safe=':')}",
        access=_scope(repository, "pull"),
        headers={"Accept": MANIFEST_TYPES},
    )
    if status == 404:
        return None
    if status != 200:
        raise RegistryError(f"The registry answered {status} for {repository}:{reference}.")
    lowered = {k.lower(): v for k, v in headers.items()}
    return Manifest(lowered.get("docker-content-digest", ""), lowered.get("content-type", ""), body)


def tag(repository: str, source: Manifest, new_tag: str) -> None:
    status, _, body = _request(
        "PUT",
        f"/v2/{repository}/manifests/{quote(new_tag)}",
        access=_scope(repository, "pull", "push"),
        body=source.body,
        headers={"Content-Type": source.media_type},
    )
    if status not in (200, 201):
        raise RegistryError(
            f"The registry refused the tag {new_tag} ({status}): {body[:200].decode(errors='replace')}"
        )


def untag(repository: str, name: str) -> list[str]:
    """Remove the tag ``name``. The registry deletes manifests, not tags: the manifest
    goes, and the other tags that named it are put back. Returns those tags."""
    found = manifest(repository, name)
    if found is None:
        return []
    others = [
        t
        for t in tags(repository)
        if t != name and (m := manifest(repository, t)) and m.digest == found.digest
    ]
    _delete_manifest(repository, found.digest, what=name)
    for other in others:
        tag(repository, found, other)
    return others


def _delete_manifest(repository: str, digest: str, *, what: str) -> None:
    """Delete a manifest (a gone one is deleted already)."""
    status, _, body = _request(
        "DELETE", f"/v2/{repository}/manifests/{digest}", access=_scope(repository, "pull", "push", "delete")
    )
    if status not in (200, 202, 404):
        raise RegistryError(
            f"The registry refused to delete {what} ({status}): {body[:200].decode(errors='replace')}"
        )


def forget_project(project: str) -> int:
    """Delete every manifest of the project's repositories (the project was deleted:
    a new project of that name must not pull them). Returns how many went."""
    deleted = 0
    for repository in repositories(project=project):
        digests = {m.digest for t in tags(repository) if (m := manifest(repository, t)) and m.digest}
        for digest in sorted(digests):
            _delete_manifest(repository, digest, what=f"{repository}@{digest}")
            deleted += 1
    return deleted
