"""Writes on services and routes: each is an action, validated here, done by a task.

What can be checked before queueing is checked here, and refused with the form
field it concerns, so that bad input creates nothing.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.urls import reverse

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_start
from kube import identity_for_user
from networking import cluster as cluster_networking
from projects.access import require_role
from workloads.diff import Change


def apps_domain_problem(*, project: str, host: str, route: str) -> str:
    """Host names under BERTH_APPS_DOMAIN are Berth's to give: a route there gets its own
    ``<route>-<project>`` name only, so nobody claims another project's (future) default."""
    domain = settings.BERTH_APPS_DOMAIN
    if host != domain and not host.endswith(f".{domain}"):
        return ""
    own = cluster_networking.default_host(name=route, project=project, domain=domain)
    if host == own:
        return ""
    return (
        f"Host names under {domain} are given by Berth: this route's is {own} (leave the host empty "
        "for it). For another name, use a domain of your own."
    )


def _check_host(*, project, host: str, route: str = "") -> None:
    message = apps_domain_problem(project=project.name, host=host, route=route)
    message = message or cluster_networking.host_taken_message(host, namespace=project.name, name=route)
    if message:
        raise Refused(field="host", message=message)


def _routes_url(project) -> str:
    return reverse("networking:routes", kwargs={"name": project.name})


def service_delete(*, user, project, name: str) -> Action:
    require_role(project, "edit")
    return action_start(
        kind="service.delete",
        user=user,
        project=project.name,
        target=f"service/{name}",
        parameters={"name": name, "next": reverse("networking:services", kwargs={"name": project.name})},
    )


def route_create(*, user, project, spec: cluster_networking.RouteSpec) -> Action:
    require_role(project, "edit")
    _check_host(project=project, host=spec.host, route=spec.name)
    existing = {
        r.name for r in cluster_networking.route_list(identity_for_user(user), namespace=project.name)
    }
    if spec.name in existing:
        raise Refused(field="name", message=f"A route named {spec.name} exists already in this project.")
    return action_start(
        kind="route.create",
        user=user,
        project=project.name,
        target=f"route/{spec.name}",
        parameters={**spec.as_values(), "next": _routes_url(project)},
    )


ROUTE_FIELDS = (
    ("host", "host"),
    ("path", "path"),
    ("service", "service"),
    ("port", "port"),
    ("tls_secret", "TLS secret"),
)


def route_version(spec: cluster_networking.RouteSpec) -> str:
    """A digest of a route as a form shows it: the edit form's version, and its preview's."""
    return hashlib.sha256(json.dumps(spec.as_values(), sort_keys=True).encode()).hexdigest()[:16]


def route_changes(before: cluster_networking.RouteSpec, after: cluster_networking.RouteSpec) -> list[Change]:
    return [
        Change("route", label, getattr(before, key) or "—", getattr(after, key) or "—")
        for key, label in ROUTE_FIELDS
        if getattr(before, key) != getattr(after, key)
    ]


def route_update(
    *, user, project, spec: cluster_networking.RouteSpec, before: cluster_networking.RouteSpec
) -> Action:
    """``before``: the route as the person previewed their change against; the task
    applies nothing if it differs by then."""
    require_role(project, "edit")
    _check_host(project=project, host=spec.host, route=spec.name)
    return action_start(
        kind="route.update",
        user=user,
        project=project.name,
        target=f"route/{spec.name}",
        parameters={**spec.as_values(), "before": before.as_values(), "next": _routes_url(project)},
    )


def route_delete(*, user, project, name: str) -> Action:
    require_role(project, "edit")
    return action_start(
        kind="route.delete",
        user=user,
        project=project.name,
        target=f"route/{name}",
        parameters={"name": name, "next": _routes_url(project)},
    )


def deployment_expose(*, user, project, deployment: str, port: int, host: str, path: str) -> Action:
    """One action: the deployment's Service (made when missing) and a Route to it, both named
    after the deployment."""
    require_role(project, "edit")
    _check_host(project=project, host=host, route=deployment)
    identity = identity_for_user(user)
    if deployment in {r.name for r in cluster_networking.route_list(identity, namespace=project.name)}:
        raise Refused(
            field="deployment", message=f"A route named {deployment} exists already: edit it instead."
        )
    return action_start(
        kind="expose",
        user=user,
        project=project.name,
        target=f"deployment/{deployment}",
        parameters={
            "deployment": deployment,
            "port": port,
            "host": host,
            "path": path,
            "next": _routes_url(project),
        },
    )
