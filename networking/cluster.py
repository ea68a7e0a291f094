"""Services and routes: what a project exposes, and under which host name.

A route is an Ingress (``networking.k8s.io/v1``) with one host, one path and one
backend, or an OpenShift ``Route`` where the cluster serves ``route.openshift.io``.
Both become the same :class:`Route` for the pages. Host names are unique across
the cluster: Berth's own identity reads every route's host as an index, used
only to refuse a duplicate (the other route is never shown).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from kubernetes import client as k8s

from kube.client import MANAGED_BY, Identity, api, api_group_served, call, parse_time, system_identity
from kube.errors import Conflict, Forbidden, Invalid, NotFound
from workloads.cluster import PodSummary, pod_summary

ROUTE_GROUP, ROUTE_VERSION, ROUTE_PLURAL = "route.openshift.io", "v1", "routes"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
TLS_SECRET_TYPE = "kubernetes.io/tls"  # noqa: S105 - a Secret type, not a password


# Services -----------------------------------------------------------------


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target_port: str
    protocol: str = "TCP"
    node_port: int | None = None

    def matches(self, wanted: str) -> bool:
        """``wanted`` names this port by number or by name (as an Ingress backend does)."""
        return wanted == str(self.port) or (bool(self.name) and wanted == self.name)

    @property
    def label(self) -> str:
        text = f"{self.port}/{self.protocol} → {self.target_port}"
        return f"{self.name} ({text})" if self.name else text


@dataclass(frozen=True)
class Endpoint:
    address: str
    ready: bool
    pod: str
    node: str


@dataclass
class ServiceSummary:
    name: str
    type: str
    cluster_ip: str
    ports: tuple[ServicePort, ...]
    selector: dict[str, str]
    created: datetime | None
    endpoints: list[Endpoint] = field(default_factory=list)

    @property
    def ready_endpoints(self) -> int:
        return sum(1 for e in self.endpoints if e.ready)

    def port(self, wanted: str) -> ServicePort | None:
        return next((p for p in self.ports if p.matches(wanted)), None)


def service_summary(service: dict) -> ServiceSummary:
    spec = service.get("spec") or {}
    meta = service["metadata"]
    return ServiceSummary(
        name=meta["name"],
        type=spec.get("type") or "ClusterIP",
        cluster_ip=spec.get("clusterIP") or "",
        ports=tuple(
            ServicePort(
                name=p.get("name") or "",
                port=int(p["port"]),
                target_port=str(p.get("targetPort", p["port"])),
                protocol=p.get("protocol") or "TCP",
                node_port=p.get("nodePort"),
            )
            for p in spec.get("ports") or []
        ),
        selector=spec.get("selector") or {},
        created=parse_time(meta.get("creationTimestamp")),
    )


def endpoints_from_slices(slices: list[dict]) -> dict[str, list[Endpoint]]:
    """Endpoints per service name, from EndpointSlices (a service may have several)."""
    found: dict[str, dict[str, Endpoint]] = {}
    for endpoint_slice in slices:
        service = ((endpoint_slice.get("metadata") or {}).get("labels") or {}).get(SERVICE_NAME_LABEL)
        if not service:
            continue
        per_service = found.setdefault(service, {})
        for endpoint in endpoint_slice.get("endpoints") or []:
            conditions = endpoint.get("conditions") or {}
            # "ready" left out means ready (the EndpointSlice API says so).
            ready = conditions.get("ready") is not False
            target = endpoint.get("targetRef") or {}
            for address in endpoint.get("addresses") or []:
                per_service[address] = Endpoint(
                    address=address,
                    ready=ready,
                    pod=target.get("name", "") if target.get("kind") == "Pod" else "",
                    node=endpoint.get("nodeName") or "",
                )
    return {name: sorted(eps.values(), key=lambda e: (e.pod, e.address)) for name, eps in found.items()}


def _raw(fn, *args, **kwargs) -> dict:
    """A read as plain JSON: nothing the client's models do not know is lost."""
    response = call(fn, *args, _preload_content=False, **kwargs)
    return json.loads(response.data)


def service_list(identity: Identity, *, namespace: str) -> list[ServiceSummary]:
    """The project's services with their endpoints: two LIST calls, as the person."""
    services = _raw(api(identity, "core").list_namespaced_service, namespace)["items"]
    slices = _raw(api(identity, "discovery").list_namespaced_endpoint_slice, namespace)["items"]
    endpoints = endpoints_from_slices(slices)
    summaries = [service_summary(s) for s in services]
    for summary in summaries:
        summary.endpoints = endpoints.get(summary.name, [])
    return sorted(summaries, key=lambda s: s.name)


def service_get(identity: Identity, *, namespace: str, name: str) -> ServiceSummary:
    summary = service_summary(_raw(api(identity, "core").read_namespaced_service, name, namespace))
    slices = _raw(
        api(identity, "discovery").list_namespaced_endpoint_slice,
        namespace,
        label_selector=f"{SERVICE_NAME_LABEL}={name}",
    )["items"]
    summary.endpoints = endpoints_from_slices(slices).get(name, [])
    return summary


def service_delete(identity: Identity, *, namespace: str, name: str) -> bool:
    """Delete a service as the person; False when it was gone already."""
    try:
        call(api(identity, "core").delete_namespaced_service, name, namespace)
    except NotFound:
        return False
    return True


def selector_text(selector: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def pods_selected(identity: Identity, *, namespace: str, selector: dict[str, str]) -> list[PodSummary]:
    """The pods a selector picks, as the person (an empty selector picks none: a
    service without one has its endpoints managed by hand)."""
    if not selector:
        return []
    pods = _raw(api(identity, "core").list_namespaced_pod, namespace, label_selector=selector_text(selector))
    return sorted((pod_summary(p) for p in pods["items"]), key=lambda p: p.name)


def service_ensure(
    identity: Identity, *, namespace: str, name: str, selector: dict[str, str], port: int
) -> ServicePort:
    """A ClusterIP service ``name`` sending ``port`` to the pods of ``selector``.

    An existing service of that name is used when it selects the same pods and
    serves the port (an earlier attempt, or one made by hand); otherwise it is
    left alone and the request refused.
    """
    core = api(identity, "core")
    body = k8s.V1Service(
        metadata=k8s.V1ObjectMeta(name=name, labels=dict([MANAGED_BY])),
        spec=k8s.V1ServiceSpec(
            selector=selector,
            ports=[k8s.V1ServicePort(name=f"port-{port}", port=port, target_port=port, protocol="TCP")],
        ),
    )
    try:
        created = call(core.create_namespaced_service, namespace, body)
        return service_summary(core.api_client.sanitize_for_serialization(created)).ports[0]
    except Conflict:
        existing = service_get(identity, namespace=namespace, name=name)
    if existing.selector != selector:
        raise Conflict(
            f"A service named {name} exists already and selects other pods "
            f"({selector_text(existing.selector) or 'no selector'}). Create the route from it instead."
        )
    found = existing.port(str(port)) or next((p for p in existing.ports if p.target_port == str(port)), None)
    if found is None:
        ports = ", ".join(str(p.port) for p in existing.ports) or "none"
        raise Conflict(f"The service {name} exists already without port {port} (its ports: {ports}).")
    return found


def deployment_ports(identity: Identity, *, namespace: str, name: str) -> tuple[dict[str, str], list[int]]:
    """A deployment's pod selector and the container ports it declares."""
    deployment = _raw(api(identity, "apps").read_namespaced_deployment, name, namespace)
    spec = deployment.get("spec") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    ports = sorted({int(p["containerPort"]) for c in containers for p in c.get("ports") or []})
    return selector, ports


def deployments_with_ports(identity: Identity, *, namespace: str) -> dict[str, list[int]]:
    """Each deployment of the project with the container ports it declares (one LIST)."""
    found = {}
    for deployment in _raw(api(identity, "apps").list_namespaced_deployment, namespace)["items"]:
        template = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
        found[deployment["metadata"]["name"]] = sorted(
            {int(p["containerPort"]) for c in template.get("containers") or [] for p in c.get("ports") or []}
        )
    return found


# Routes -------------------------------------------------------------------


@dataclass(frozen=True)
class RouteSpec:
    """What a person asks for; validated before it gets here (networking.forms)."""

    name: str
    host: str
    path: str
    service: str
    port: str  # a service port, by number or name
    tls_secret: str = ""

    @classmethod
    def from_values(cls, values: dict) -> RouteSpec:
        """From a route form's cleaned data, or an action's parameters (extra keys ignored)."""
        return cls(
            name=values["name"],
            host=values["host"],
            path=values["path"],
            service=values["service"],
            port=str(values["port"]),
            tls_secret=values.get("tls_secret") or "",
        )

    def as_values(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Route:
    name: str
    host: str
    path: str
    service: str
    port: str
    tls_secret: str
    tls: bool
    kind: str  # Ingress or Route
    created: datetime | None = None
    more_rules: int = 0  # rules beyond the first, on objects made outside Berth

    @property
    def url(self) -> str:
        """Where a browser opens the route (through the cluster's router)."""
        if not self.host:
            return ""
        scheme = "https" if self.tls else "http"
        port = settings.BERTH_ROUTER_HTTPS_PORT if self.tls else settings.BERTH_ROUTER_HTTP_PORT
        path = "" if self.path in ("", "/") else self.path
        return f"{scheme}://{self.host}{':' + port if port else ''}{path}"

    def as_spec(self) -> RouteSpec:
        return RouteSpec(
            name=self.name,
            host=self.host,
            path=self.path or "/",
            service=self.service,
            port=self.port,
            tls_secret=self.tls_secret,
        )


def default_host(*, name: str, project: str, domain: str) -> str:
    return f"{name}-{project}.{domain}"


def ingress_body(spec: RouteSpec) -> dict:
    port = {"number": int(spec.port)} if spec.port.isdigit() else {"name": spec.port}
    body: dict = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": spec.name, "labels": dict([MANAGED_BY])},
        "spec": {
            "rules": [
                {
                    "host": spec.host,
                    "http": {
                        "paths": [
                            {
                                "path": spec.path or "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": spec.service, "port": port}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    if spec.tls_secret:
        # TLS ends at the ingress controller (edge): it holds the Secret's certificate.
        body["spec"]["tls"] = [{"hosts": [spec.host], "secretName": spec.tls_secret}]
    return body


def route_from_ingress(ingress: dict) -> Route:
    spec = ingress.get("spec") or {}
    rules = spec.get("rules") or []
    rule = rules[0] if rules else {}
    paths = (rule.get("http") or {}).get("paths") or []
    first = paths[0] if paths else {}
    backend = (first.get("backend") or spec.get("defaultBackend") or {}).get("service") or {}
    port = backend.get("port") or {}
    host = rule.get("host") or ""
    tls_entries = spec.get("tls") or []
    tls = next((t for t in tls_entries if host in (t.get("hosts") or [])), None)
    return Route(
        name=ingress["metadata"]["name"],
        host=host,
        path=first.get("path") or "/",
        service=backend.get("name") or "",
        port=str(port.get("number") or port.get("name") or ""),
        tls_secret=(tls or {}).get("secretName") or "",
        tls=tls is not None,
        kind="Ingress",
        created=parse_time(ingress["metadata"].get("creationTimestamp")),
        more_rules=max(0, sum(len((r.get("http") or {}).get("paths") or [None]) for r in rules) - 1),
    )


def openshift_route_body(spec: RouteSpec) -> dict:
    body: dict = {
        "apiVersion": f"{ROUTE_GROUP}/{ROUTE_VERSION}",
        "kind": "Route",
        "metadata": {"name": spec.name, "labels": dict([MANAGED_BY])},
        "spec": {
            "host": spec.host,
            "path": spec.path or "/",
            "to": {"kind": "Service", "name": spec.service, "weight": 100},
            "port": {"targetPort": int(spec.port) if spec.port.isdigit() else spec.port},
        },
    }
    if spec.tls_secret:
        # OpenShift 4.14+ reads an edge certificate from a Secret by name.
        body["spec"]["tls"] = {
            "termination": "edge",
            "insecureEdgeTerminationPolicy": "Redirect",
            "externalCertificate": {"name": spec.tls_secret},
        }
    return body


def route_from_openshift(route: dict) -> Route:
    spec = route.get("spec") or {}
    tls = spec.get("tls") or None
    return Route(
        name=route["metadata"]["name"],
        host=spec.get("host") or "",
        path=spec.get("path") or "/",
        service=(spec.get("to") or {}).get("name") or "",
        port=str((spec.get("port") or {}).get("targetPort") or ""),
        tls_secret=((tls or {}).get("externalCertificate") or {}).get("name") or "",
        tls=tls is not None,
        kind="Route",
        created=parse_time(route["metadata"].get("creationTimestamp")),
    )


def openshift_routes_available() -> bool:
    """Whether the cluster serves OpenShift's Route API."""
    return api_group_served(ROUTE_GROUP)


class IngressRoutes:
    """Routes as Kubernetes Ingresses (``networking.k8s.io/v1``): any cluster."""

    kind = "Ingress"

    def list(self, identity: Identity, namespace: str) -> list[Route]:
        items = _raw(api(identity, "networking").list_namespaced_ingress, namespace)["items"]
        return [route_from_ingress(i) for i in items]

    def get(self, identity: Identity, namespace: str, name: str) -> Route:
        return route_from_ingress(_raw(api(identity, "networking").read_namespaced_ingress, name, namespace))

    def hosts(self) -> list[tuple[dict, list[str]]]:
        """Every route's metadata and host names, cluster-wide, with Berth's identity."""
        items = _raw(api(system_identity(), "networking").list_ingress_for_all_namespaces)["items"]
        found = []
        for item in items:
            spec = item.get("spec") or {}
            hosts = [rule.get("host") for rule in spec.get("rules") or []]
            # A TLS entry's hosts count too: its certificate answers for them.
            hosts += [host for tls in spec.get("tls") or [] for host in tls.get("hosts") or []]
            found.append((item["metadata"], hosts))
        return found

    def create(self, identity: Identity, namespace: str, spec: RouteSpec) -> None:
        call(api(identity, "networking").create_namespaced_ingress, namespace, ingress_body(spec))

    def update(self, identity: Identity, namespace: str, spec: RouteSpec) -> None:
        wanted = ingress_body(spec)["spec"]
        # JSON patch: the lists are replaced whole, and "test" refuses a route that vanished.
        patch = [
            {"op": "test", "path": "/metadata/name", "value": spec.name},
            {"op": "replace", "path": "/spec/rules", "value": wanted["rules"]},
        ]
        current = _raw(api(identity, "networking").read_namespaced_ingress, spec.name, namespace)
        if "tls" in wanted:
            patch.append({"op": "add", "path": "/spec/tls", "value": wanted["tls"]})
        elif (current.get("spec") or {}).get("tls") is not None:
            patch.append({"op": "remove", "path": "/spec/tls"})
        call(api(identity, "networking").patch_namespaced_ingress, spec.name, namespace, patch)

    def delete(self, identity: Identity, namespace: str, name: str) -> None:
        call(api(identity, "networking").delete_namespaced_ingress, name, namespace)


class OpenShiftRoutes:
    """Routes as OpenShift ``Route`` objects, where the cluster serves them."""

    kind = "Route"

    def _call(self, identity: Identity, verb: str, *args):
        return call(getattr(api(identity, "custom"), verb), ROUTE_GROUP, ROUTE_VERSION, *args)

    def list(self, identity: Identity, namespace: str) -> list[Route]:
        items = self._call(identity, "list_namespaced_custom_object", namespace, ROUTE_PLURAL)["items"]
        return [route_from_openshift(r) for r in items]

    def get(self, identity: Identity, namespace: str, name: str) -> Route:
        obj = self._call(identity, "get_namespaced_custom_object", namespace, ROUTE_PLURAL, name)
        return route_from_openshift(obj)

    def hosts(self) -> list[tuple[dict, list[str]]]:
        items = self._call(system_identity(), "list_cluster_custom_object", ROUTE_PLURAL)["items"]
        return [(r["metadata"], [(r.get("spec") or {}).get("host")]) for r in items]

    def create(self, identity: Identity, namespace: str, spec: RouteSpec) -> None:
        self._call(
            identity, "create_namespaced_custom_object", namespace, ROUTE_PLURAL, openshift_route_body(spec)
        )

    def update(self, identity: Identity, namespace: str, spec: RouteSpec) -> None:
        wanted = openshift_route_body(spec)["spec"]
        patch = {"spec": {**wanted, "tls": wanted.get("tls")}}  # None removes TLS (merge patch)
        self._call(identity, "patch_namespaced_custom_object", namespace, ROUTE_PLURAL, spec.name, patch)

    def delete(self, identity: Identity, namespace: str, name: str) -> None:
        self._call(identity, "delete_namespaced_custom_object", namespace, ROUTE_PLURAL, name)


def routes() -> IngressRoutes | OpenShiftRoutes:
    """The kind of route this cluster has, decided once per API server (the probe is cached)."""
    return OpenShiftRoutes() if openshift_routes_available() else IngressRoutes()


def route_kind() -> str:
    return routes().kind


def route_list(identity: Identity, *, namespace: str) -> list[Route]:
    return sorted(routes().list(identity, namespace), key=lambda r: r.name)


def route_get(identity: Identity, *, namespace: str, name: str) -> Route:
    return routes().get(identity, namespace, name)


def host_owner(host: str, *, namespace: str, name: str = "") -> tuple[str, str] | None:
    """The (namespace, name) of another route using ``host``, or None.

    Read with Berth's identity across all namespaces: an index, used only to
    refuse a duplicate. Callers must not show the other project's name to
    someone without a role there.
    """
    for meta, used in routes().hosts():
        if (meta.get("namespace"), meta.get("name")) == (namespace, name):
            continue
        if host in used:
            return meta.get("namespace", ""), meta.get("name", "")
    return None


def routes_using(host: str) -> list[tuple[str, str]]:
    """Every route (namespace, name) that uses ``host``, read with Berth's identity."""
    return [
        (meta.get("namespace", ""), meta.get("name", "")) for meta, used in routes().hosts() if host in used
    ]


def host_taken_message(host: str, *, namespace: str, name: str = "") -> str:
    """Why ``host`` cannot be used, or "" when it is free."""
    owner = host_owner(host, namespace=namespace, name=name)
    return "" if owner is None else taken_message(host, owner=owner, namespace=namespace)


def taken_message(host: str, *, owner: tuple[str, str], namespace: str) -> str:
    """Whose ``host`` is, as ``namespace``'s members may read it: a route of another
    project is not named."""
    if owner[0] == namespace:
        return f"{host} is already used by the route {owner[1]} in this project."
    return f"{host} is already used by a route in another project. Choose another host name."


def _check_host(spec: RouteSpec, namespace: str) -> None:
    message = host_taken_message(spec.host, namespace=namespace, name=spec.name)
    if message:
        raise Invalid(message, {"host": message})


def route_create(identity: Identity, *, namespace: str, spec: RouteSpec) -> None:
    """Create the route, as the person; an identical one (an earlier attempt) is kept."""
    _check_host(spec, namespace)
    try:
        routes().create(identity, namespace, spec)
    except Conflict:
        existing = route_get(identity, namespace=namespace, name=spec.name)
        if existing.as_spec() != spec:
            raise Conflict(f"A route named {spec.name} exists already.") from None


def route_update(identity: Identity, *, namespace: str, spec: RouteSpec) -> None:
    """Point the route at a new host, path, backend or certificate, keeping its other fields."""
    _check_host(spec, namespace)
    routes().update(identity, namespace, spec)


def route_delete(identity: Identity, *, namespace: str, name: str) -> None:
    with contextlib.suppress(NotFound):  # gone already: the wish is fulfilled
        routes().delete(identity, namespace, name)


def tls_secrets(identity: Identity, *, namespace: str) -> list[str]:
    """The project's TLS secrets (names only), as the person; [] when they may not list secrets."""
    try:
        items = _raw(
            api(identity, "core").list_namespaced_secret, namespace, field_selector=f"type={TLS_SECRET_TYPE}"
        )["items"]
    except Forbidden:
        return []
    return sorted(s["metadata"]["name"] for s in items)
