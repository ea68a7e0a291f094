"""OpenShift's own kinds in a template, on a cluster that does not serve them.

Pure: what an object becomes. A ``Route`` becomes a Berth route (an Ingress through the
cluster's router, or an OpenShift Route where served), with the same host rules as the
Routes page: an empty host gets the project's default name, and a host is checked and
claimed like any other. The other kinds (ImageStream, BuildConfig, DeploymentConfig) are
still refused with a message saying so.
"""

from __future__ import annotations

from django.conf import settings

from networking.cluster import RouteSpec, default_host

ROUTE_API_VERSIONS = ("route.openshift.io/v1", "v1")  # old templates say "v1"
# What a Route becomes in the action's plan: made by networking.hosts (claim, then create).
MAPPED_ROUTE = {"apiVersion": "berth.io/v1", "kind": "Route"}


def is_route(obj: dict) -> bool:
    return obj.get("kind") == "Route" and obj.get("apiVersion") in ROUTE_API_VERSIONS


def route_spec(route: dict, *, project: str, objects: list[dict]) -> RouteSpec:
    """The Berth route a template's Route asks for. Its port is the Service's port: the one
    ``port.targetPort`` names (by name, or by number as the Service's port or target port),
    or the first port of the template's Service of that name."""
    name = (route.get("metadata") or {}).get("name", "")
    spec = route.get("spec") or {}
    service = (spec.get("to") or {}).get("name", "")
    ports = next(
        (
            (o.get("spec") or {}).get("ports") or []
            for o in objects
            if o.get("kind") == "Service" and (o.get("metadata") or {}).get("name") == service
        ),
        [],
    )
    wanted = (spec.get("port") or {}).get("targetPort")
    port = ""
    for p in ports:
        if wanted in (None, "") or wanted in (p.get("name"), p.get("port"), p.get("targetPort")):
            port = str(p.get("port", ""))
            break
    if not port and wanted not in (None, ""):
        port = str(wanted)
    host = spec.get("host") or default_host(name=name, project=project, domain=settings.BERTH_APPS_DOMAIN)
    return RouteSpec(name=name, host=host, path=spec.get("path") or "/", service=service, port=port)


def hosts_of(obj: dict) -> list[str]:
    """The host names an Ingress or a Route of a template asks for."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Route":
        return [spec["host"]] if spec.get("host") else []
    if obj.get("kind") == "Ingress":
        hosts = [r.get("host") for r in spec.get("rules") or []]
        hosts += [h for t in spec.get("tls") or [] for h in t.get("hosts") or []]
        return sorted({h for h in hosts if h})
    return []
