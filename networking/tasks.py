"""Route and service actions, run by the worker as the person who asked.

Each re-reads what it needs as the person who asked, so a role taken away after
queueing is honoured, and finishes what an earlier attempt left half-done.
"""

from __future__ import annotations

from actions.models import Action
from actions.services import action_update
from actions.tasks import ActionFailed, action_identity, action_task
from kube import NotFound
from networking import cluster as cluster_networking
from networking import hosts


def _create(identity, namespace: str, spec: cluster_networking.RouteSpec) -> None:
    try:
        hosts.route_create(identity, namespace=namespace, spec=spec)
    except hosts.HostTaken as exc:
        raise ActionFailed(str(exc)) from None


def _claim(namespace: str, spec: cluster_networking.RouteSpec) -> None:
    try:
        hosts.claim(namespace=namespace, name=spec.name, host=spec.host)
    except hosts.HostTaken as exc:
        raise ActionFailed(str(exc)) from None


@action_task("route.create")
def route_create(action: Action) -> str:
    spec = cluster_networking.RouteSpec.from_values(action.parameters)
    _create(action_identity(action), action.project, spec)
    return f"Route {spec.name} serves {spec.host}."


@action_task("route.update")
def route_update(action: Action) -> str:
    spec = cluster_networking.RouteSpec.from_values(action.parameters)
    identity = action_identity(action)
    try:
        current = cluster_networking.route_get(identity, namespace=action.project, name=spec.name).as_spec()
        if current == spec:
            return f"Route {spec.name} serves {spec.host} already."
        before = action.parameters.get("before")
        if before and current != cluster_networking.RouteSpec.from_values(before):
            raise ActionFailed(
                f"Someone else changed the route {spec.name} since you previewed your change, "
                "so nothing was applied. Edit it again to see theirs."
            )
        _claim(action.project, spec)
        cluster_networking.route_update(identity, namespace=action.project, spec=spec)
    except NotFound:
        raise ActionFailed(f"The route {spec.name} no longer exists in {action.project}.") from None
    return f"Route {spec.name} now serves {spec.host}."


@action_task("route.delete")
def route_delete(action: Action) -> str:
    name = action.parameters["name"]
    cluster_networking.route_delete(action_identity(action), namespace=action.project, name=name)
    hosts.release(namespace=action.project, name=name)
    return f"Route {name} deleted."


@action_task("service.delete")
def service_delete(action: Action) -> str:
    name = action.parameters["name"]
    if not cluster_networking.service_delete(action_identity(action), namespace=action.project, name=name):
        return f"Service {name} was gone already."
    return f"Service {name} deleted."


@action_task("expose")
def expose(action: Action) -> str:
    identity, params = action_identity(action), action.parameters
    name = params["deployment"]
    try:
        selector, _ = cluster_networking.deployment_ports(identity, namespace=action.project, name=name)
    except NotFound:
        raise ActionFailed(f"The deployment {name} no longer exists in {action.project}.") from None
    if not selector:
        raise ActionFailed(f"{name} selects its pods with expressions only: create its service by hand.")
    action_update(action=action, progress=30, message=f"Making sure the service {name} exists")
    port = cluster_networking.service_ensure(
        identity, namespace=action.project, name=name, selector=selector, port=int(params["port"])
    )
    action_update(action=action, progress=60, message=f"Creating the route {name}")
    spec = cluster_networking.RouteSpec(
        name=name, host=params["host"], path=params["path"], service=name, port=str(port.port)
    )
    _create(identity, action.project, spec)
    route = cluster_networking.route_get(identity, namespace=action.project, name=name)
    return f"{name} is exposed at {route.url}."
