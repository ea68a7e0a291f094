"""The cluster's side of templates: which resource a template's object is (the cluster's
discovery, asked as Berth and kept per process), and creating it as the person."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from django.conf import settings
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from kube.client import (
    Identity,
    api_client,
    api_server,
    object_path,
    request_json,
    system_identity,
    translated,
)
from kube.errors import ClusterError

TEMPLATE_ANNOTATION = "berth.io/template-action"  # the action that made the object


class NotServed(ClusterError):
    """The cluster serves no such kind in that API version."""


@dataclass(frozen=True)
class Resource:
    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str, name: str = "") -> str:
        return object_path(self.api_version, self.plural, namespace, name)


@functools.cache
def _discovery(server: str) -> DynamicClient:
    # Its cache file is Berth's own (not the shared temporary directory); a kind it does
    # not know makes it ask the cluster again.
    cache = settings.DATA_DIR / f"discovery-{hashlib.sha256(server.encode()).hexdigest()[:16]}.json"
    with translated():
        return DynamicClient(api_client(system_identity()), cache_file=str(cache))


def resource_for(api_version: str, kind: str) -> Resource:
    """The resource serving ``kind`` in ``api_version``, or NotServed."""
    try:
        with translated():
            found = _discovery(api_server()).resources.get(api_version=api_version, kind=kind)
    except ResourceNotFoundError:
        raise NotServed(f"The cluster serves no {kind} in {api_version}.") from None
    return Resource(api_version, kind, found.name, bool(found.namespaced))


def object_create(
    identity: Identity, *, resource: Resource, namespace: str, body: dict, dry_run: bool
) -> dict:
    """POST the object as the person (``dry_run``: validated and admitted, nothing stored)."""
    return request_json(identity, "POST", resource.path(namespace), body, dry_run=dry_run)


def object_read(identity: Identity, *, resource: Resource, namespace: str, name: str) -> dict:
    return request_json(identity, "GET", resource.path(namespace, name))


# What an export copies: the kinds a project's apps are made of (Secrets stay out: their
# values would travel in plain text).
EXPORTED = (
    Resource("apps/v1", "Deployment", "deployments", True),
    Resource("apps/v1", "StatefulSet", "statefulsets", True),
    Resource("v1", "Service", "services", True),
    Resource("networking.k8s.io/v1", "Ingress", "ingresses", True),
    Resource("v1", "ConfigMap", "configmaps", True),
    Resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True),
)


def objects_labelled(identity: Identity, *, namespace: str, selector: str) -> list[dict]:
    """The project's objects of the exported kinds that ``selector`` picks, read as the person."""
    found = []
    for resource in EXPORTED:
        listed = request_json(identity, "GET", resource.path(namespace), query=[("labelSelector", selector)])
        for item in listed.get("items") or []:
            found.append({"apiVersion": resource.api_version, "kind": resource.kind, **item})
    return found
