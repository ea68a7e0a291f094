"""Writes on services and routes: each is an action, validated here, done by a task.

What can be checked before queueing is checked here, and refused with the form
field it concerns, so that bad input creates nothing.
"""

from __future__ import annotations

from django.urls import reverse

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_start
from kube import identity_for_user
from networking import cluster as cluster_networking
from projects.access import require_role


def _check_host(*, project, host: str, route: str = "") -> None:
    message = cluster_networking.host_taken_message(host, namespace=project.name, name=route)
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


def route_update(*, user, project, spec: cluster_networking.RouteSpec) -> Action:
    require_role(project, "edit")
    _check_host(project=project, host=spec.host, route=spec.name)
    return action_start(
        kind="route.update",
        user=user,
        project=project.name,
        target=f"route/{spec.name}",
        parameters={**spec.as_values(), "next": _routes_url(project)},
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
