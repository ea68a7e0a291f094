"""What OpenShift's Route becomes where the cluster has none, on its own."""

from __future__ import annotations

import pytest

from catalog.openshift import hosts_of, is_route, route_spec

SERVICE = {
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {
        "ports": [
            {"name": "admin", "port": 9000, "targetPort": 9001},
            {"name": "http", "port": 80, "targetPort": 8080},
        ]
    },
}


def route(**spec) -> dict:
    return {
        "apiVersion": "route.openshift.io/v1",
        "kind": "Route",
        "metadata": {"name": "shop"},
        "spec": {"to": {"name": "web"}, **spec},
    }


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        (None, "9000"),  # none named: the Service's first port
        ({"targetPort": "http"}, "80"),  # by the port's name
        ({"targetPort": 8080}, "80"),  # by the pods' port behind it
        ({"targetPort": 9000}, "9000"),  # by the Service's own port
    ],
)
def test_the_routes_port_is_the_services_port(port, expected):
    spec = route_spec(route(**({"port": port} if port else {})), project="p", objects=[SERVICE])
    assert (spec.service, spec.port) == ("web", expected)


def test_a_service_the_template_lacks_takes_the_number_given(settings):
    settings.BERTH_APPS_DOMAIN = "apps.example.org"
    spec = route_spec(route(port={"targetPort": 5000}), project="p", objects=[])
    assert spec.port == "5000" and spec.host == "shop-p.apps.example.org" and spec.path == "/"
    assert route_spec(route(), project="p", objects=[]).port == ""  # nothing to tell it by
    given = route_spec(route(host="shop.example.org", path="/api"), project="p", objects=[SERVICE])
    assert (given.host, given.path) == ("shop.example.org", "/api")


def test_the_hosts_an_object_asks_for():
    assert hosts_of(route(host="a.example.org")) == ["a.example.org"]
    assert hosts_of(route()) == []
    ingress = {
        "kind": "Ingress",
        "spec": {
            "rules": [{"host": "b.example.org"}, {}],
            "tls": [{"hosts": ["c.example.org", "b.example.org"]}],
        },
    }
    assert hosts_of(ingress) == ["b.example.org", "c.example.org"]
    assert hosts_of({"kind": "Service"}) == []
    assert is_route({"apiVersion": "v1", "kind": "Route"}) and not is_route(
        {"apiVersion": "x/v1", "kind": "Route"}
    )
