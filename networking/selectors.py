"""Reads on services and routes, as the person (the cluster's RBAC decides)."""

from __future__ import annotations

from kube import identity_for_user
from networking import cluster as cluster_networking


def service_list(*, user, project) -> list[cluster_networking.ServiceSummary]:
    return cluster_networking.service_list(identity_for_user(user), namespace=project.name)


def service_detail(*, user, project, name: str):
    """The service, its endpoints, and the pods its selector picks."""
    identity = identity_for_user(user)
    service = cluster_networking.service_get(identity, namespace=project.name, name=name)
    pods = cluster_networking.pods_selected(identity, namespace=project.name, selector=service.selector)
    return service, pods


def service_get(*, user, project, name: str) -> cluster_networking.ServiceSummary:
    return cluster_networking.service_get(identity_for_user(user), namespace=project.name, name=name)


def route_list(*, user, project) -> list[cluster_networking.Route]:
    return cluster_networking.route_list(identity_for_user(user), namespace=project.name)


def route_get(*, user, project, name: str) -> cluster_networking.Route:
    return cluster_networking.route_get(identity_for_user(user), namespace=project.name, name=name)


def route_form_choices(*, user, project) -> dict:
    """What a route form offers: the project's services with their ports, and TLS secrets."""
    identity = identity_for_user(user)
    services = cluster_networking.service_list(identity, namespace=project.name)
    return {
        "services": {s.name: list(s.ports) for s in services},
        "tls_secrets": cluster_networking.tls_secrets(identity, namespace=project.name),
    }


def deployments_with_ports(*, user, project) -> dict[str, list[int]]:
    return cluster_networking.deployments_with_ports(identity_for_user(user), namespace=project.name)


def route_kind() -> str:
    return cluster_networking.route_kind()
