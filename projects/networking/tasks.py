"""Celery tasks for networking and storage actions (imported by ProjectsConfig.ready).

Each re-reads what it needs as the person who asked, so a role taken away after
queueing is honoured, and finishes what an earlier attempt left half-done.
"""

from __future__ import annotations

from console.cluster import NotFound
from console.cluster import networking as cluster_networking
from console.cluster import storage as cluster_storage
from projects.models import Action
from projects.tasks import ActionFailed, action_identity, action_task


def _spec(params: dict) -> cluster_networking.RouteSpec:
    return cluster_networking.RouteSpec(
        name=params["name"],
        host=params["host"],
        path=params["path"],
        service=params["service"],
        port=str(params["port"]),
        tls_secret=params.get("tls_secret", ""),
    )


@action_task("route.create")
def route_create(action: Action) -> str:
    spec = _spec(action.parameters)
    cluster_networking.route_create(action_identity(action), namespace=action.project, spec=spec)
    return f"Route {spec.name} serves {spec.host}."


@action_task("route.update")
def route_update(action: Action) -> str:
    spec = _spec(action.parameters)
    try:
        cluster_networking.route_update(action_identity(action), namespace=action.project, spec=spec)
    except NotFound:
        raise ActionFailed(f"The route {spec.name} no longer exists in {action.project}.") from None
    return f"Route {spec.name} now serves {spec.host}."


@action_task("route.delete")
def route_delete(action: Action) -> str:
    name = action.parameters["name"]
    cluster_networking.route_delete(action_identity(action), namespace=action.project, name=name)
    return f"Route {name} deleted."


@action_task("expose")
def expose(action: Action) -> str:
    from projects import services

    identity, params = action_identity(action), action.parameters
    name = params["deployment"]
    try:
        selector, _ = cluster_networking.deployment_ports(identity, namespace=action.project, name=name)
    except NotFound:
        raise ActionFailed(f"The deployment {name} no longer exists in {action.project}.") from None
    if not selector:
        raise ActionFailed(f"{name} selects its pods with expressions only: create its service by hand.")
    services.action_update(action=action, progress=30, message=f"Making sure the service {name} exists")
    port = cluster_networking.service_ensure(
        identity, namespace=action.project, name=name, selector=selector, port=int(params["port"])
    )
    services.action_update(action=action, progress=60, message=f"Creating the route {name}")
    spec = cluster_networking.RouteSpec(
        name=name, host=params["host"], path=params["path"], service=name, port=str(port.port)
    )
    cluster_networking.route_create(identity, namespace=action.project, spec=spec)
    return f"{name} is exposed at http://{spec.host}{'' if spec.path == '/' else spec.path}."


@action_task("volume.create")
def volume_create(action: Action) -> str:
    params = action.parameters
    wanted = params.get("storage_class") or ""
    if wanted and wanted not in {c.name for c in cluster_storage.storage_classes()}:
        raise ActionFailed(f"The storage class {wanted} no longer exists on the cluster.")
    cluster_storage.volume_create(
        action_identity(action),
        namespace=action.project,
        name=params["name"],
        size=params["size"],
        access_mode=params["access_mode"],
        storage_class=wanted,
    )
    return f"Volume {params['name']} ({params['size']}) created."


@action_task("volume.attach")
def volume_attach(action: Action) -> str:
    params = action.parameters
    try:
        changed = cluster_storage.volume_attach(
            action_identity(action),
            namespace=action.project,
            name=params["name"],
            deployment=params["deployment"],
            mount_path=params["mount_path"],
        )
    except NotFound as exc:
        raise ActionFailed(f"Nothing to attach: {exc}") from None
    if not changed:
        return f"{params['name']} was already mounted in {params['deployment']} at {params['mount_path']}."
    where = f"{params['deployment']} at {params['mount_path']}"
    return f"{params['name']} is mounted in {where}: a new revision rolls out."


@action_task("volume.detach")
def volume_detach(action: Action) -> str:
    params = action.parameters
    try:
        changed = cluster_storage.volume_detach(
            action_identity(action),
            namespace=action.project,
            name=params["name"],
            deployment=params["deployment"],
        )
    except NotFound:
        raise ActionFailed(f"The deployment {params['deployment']} no longer exists.") from None
    if not changed:
        return f"{params['name']} was not mounted in {params['deployment']}."
    return f"{params['name']} is detached from {params['deployment']}: a new revision rolls out."


@action_task("volume.delete")
def volume_delete(action: Action) -> str:
    params = action.parameters
    detached = cluster_storage.volume_delete(
        action_identity(action),
        namespace=action.project,
        name=params["name"],
        detach=bool(params.get("detach")),
    )
    suffix = f" after detaching it from {', '.join(detached)}" if detached else ""
    return f"Volume {params['name']} deleted{suffix}."
