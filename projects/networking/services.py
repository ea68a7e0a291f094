"""Writes on services, routes and volumes: each is an action, validated here, done by a task.

What can be checked before queueing is checked here, and refused with the form
field it concerns, so that bad input creates nothing.
"""

from __future__ import annotations

from console.cluster import identity_for_user
from console.cluster import networking as cluster_networking
from console.cluster import storage as cluster_storage
from console.cluster.errors import Invalid
from projects.models import Action
from projects.services import ProjectRefused, action_start, require_role


class FieldRefused(ProjectRefused):
    """Refused because of one field's value; the view shows the message at that field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _check_host(*, project, host: str, route: str = "") -> None:
    message = cluster_networking.host_taken_message(host, namespace=project.name, name=route)
    if message:
        raise FieldRefused("host", message)


def _routes_url(project) -> str:
    return f"/projects/{project.name}/routes/"


def _route_parameters(spec: cluster_networking.RouteSpec) -> dict:
    return {
        "name": spec.name,
        "host": spec.host,
        "path": spec.path,
        "service": spec.service,
        "port": spec.port,
        "tls_secret": spec.tls_secret,
    }


def route_create(*, user, project, spec: cluster_networking.RouteSpec) -> Action:
    require_role(project, "edit")
    _check_host(project=project, host=spec.host, route=spec.name)
    existing = {
        r.name for r in cluster_networking.route_list(identity_for_user(user), namespace=project.name)
    }
    if spec.name in existing:
        raise FieldRefused("name", f"A route named {spec.name} exists already in this project.")
    return action_start(
        kind="route.create",
        user=user,
        project=project.name,
        target=f"route/{spec.name}",
        parameters={**_route_parameters(spec), "next": _routes_url(project)},
    )


def route_update(*, user, project, spec: cluster_networking.RouteSpec) -> Action:
    require_role(project, "edit")
    _check_host(project=project, host=spec.host, route=spec.name)
    return action_start(
        kind="route.update",
        user=user,
        project=project.name,
        target=f"route/{spec.name}",
        parameters={**_route_parameters(spec), "next": _routes_url(project)},
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
        raise FieldRefused("deployment", f"A route named {deployment} exists already: edit it instead.")
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


def _volume_url(project, name: str) -> str:
    return f"/projects/{project.name}/volumes/{name}/"


def volume_create(*, user, project, name: str, size: str, access_mode: str, storage_class: str) -> Action:
    require_role(project, "edit")
    identity = identity_for_user(user)
    if name in {v.name for v in cluster_storage.volume_list(identity, namespace=project.name)}:
        raise FieldRefused("name", f"A volume named {name} exists already in this project.")
    return action_start(
        kind="volume.create",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={
            "name": name,
            "size": size,
            "access_mode": access_mode,
            "storage_class": storage_class,
            "next": _volume_url(project, name),
        },
    )


def volume_attach(*, user, project, name: str, deployment: str, mount_path: str) -> Action:
    require_role(project, "edit")
    try:
        changes = cluster_storage.volume_attach_check(
            identity_for_user(user),
            namespace=project.name,
            name=name,
            deployment=deployment,
            mount_path=mount_path,
        )
    except Invalid as exc:
        raise FieldRefused(next(iter(exc.fields), "mount_path"), str(exc)) from None
    if not changes:
        raise FieldRefused("mount_path", f"{name} is already mounted in {deployment} at {mount_path}.")
    return action_start(
        kind="volume.attach",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={
            "name": name,
            "deployment": deployment,
            "mount_path": mount_path,
            "next": _volume_url(project, name),
        },
    )


def volume_detach(*, user, project, name: str, deployment: str) -> Action:
    require_role(project, "edit")
    return action_start(
        kind="volume.detach",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={"name": name, "deployment": deployment, "next": _volume_url(project, name)},
    )


def volume_delete(*, user, project, name: str, detach: bool) -> Action:
    require_role(project, "edit")
    volume = cluster_storage.volume_get(identity_for_user(user), namespace=project.name, name=name)
    if volume.mounted_by and not detach:
        users = ", ".join(m.deployment for m in volume.mounted_by)
        raise FieldRefused("detach", f"{name} is mounted by {users}: confirm detaching it first.")
    return action_start(
        kind="volume.delete",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={"name": name, "detach": detach, "next": f"/projects/{project.name}/volumes/"},
    )
