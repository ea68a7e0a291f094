"""Pure rules of services and routes: form validation and the objects sent to the cluster."""

from __future__ import annotations

import pytest

from networking.cluster import (
    Route,
    RouteSpec,
    ServicePort,
    endpoints_from_slices,
    ingress_body,
    openshift_route_body,
    route_from_ingress,
    route_from_openshift,
)
from networking.forms import ExposeForm, RouteForm

WEB_PORTS = {"web": [ServicePort(name="http", port=80, target_port="8080")]}


def route_form(**data):
    values = {"name": "shop", "host": "", "path": "/", "service": "web", "port": "80", "tls_secret": ""}
    values.update(data)
    return RouteForm(values, project="demo", services=WEB_PORTS, tls_secrets=["shop-cert"])


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("http://shop.example.com", "without http://"),
        ("shop.example.com/api", "without http://"),
        ("shop.example.com:8080", "without a port"),
        ("*.example.com", "Wildcard"),
        ("localhost", "with a domain"),
        ("10.0.0.1", "not an IP address"),
        ("shop..example.com", "empty parts"),
        ("-shop.example.com", "not allowed"),
        ("shop_1.example.com", "not allowed"),
        ("sh op.example.com", "not allowed"),
        ("a" * 64 + ".example.com", "longer than 63"),
        ("a." * 130 + "com", "253 characters"),
    ],
)
def test_bad_host_names_are_refused_at_the_field(host, message):
    form = route_form(host=host)
    assert not form.is_valid()
    assert message in " ".join(form.errors["host"]), form.errors


def test_host_is_lower_cased_and_a_trailing_dot_dropped():
    form = route_form(host="Shop.Example.COM.")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["host"] == "shop.example.com"


def test_empty_host_becomes_the_generated_one(settings):
    settings.BERTH_APPS_DOMAIN = "apps.example.org"
    form = route_form()
    assert form.is_valid(), form.errors
    assert form.cleaned_data["host"] == "shop-demo.apps.example.org"


def test_a_generated_host_too_long_asks_for_one():
    form = RouteForm(
        {"name": "n" * 60, "path": "/", "service": "web", "port": "80"},
        project="p" * 10,
        services=WEB_PORTS,
    )
    assert not form.is_valid()
    assert "too long" in " ".join(form.errors["host"])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("api", "starts with /"),
        ("/a b", "characters of a URL path"),
        ("/search?q=1", "characters of a URL path"),
        ("/page#top", "characters of a URL path"),
        ("/a//b", "cannot contain"),
        ("/a/../b", "cannot contain"),
        ("/a%2Fb", "cannot contain"),
        ("/a/..", "cannot contain"),
    ],
)
def test_bad_paths_are_refused_at_the_field(path, message):
    form = route_form(path=path)
    assert not form.is_valid()
    assert message in " ".join(form.errors["path"])


def test_good_paths_pass():
    for path in ("/", "/api", "/api/v1/", "/~user/a-b_c.d", "/%20x"):
        form = route_form(path=path)
        assert form.is_valid(), (path, form.errors)


@pytest.mark.parametrize(("port", "message"), [("81", "has no port 81"), ("https", "has no port https")])
def test_a_port_the_service_does_not_have_is_refused(port, message):
    form = route_form(port=port)
    assert not form.is_valid()
    error = " ".join(form.errors["port"])
    assert message in error and "80 (http)" in error


@pytest.mark.parametrize("port", ["0", "70000", "Bad_Name", "a-very-long-port-name"])
def test_malformed_ports_are_refused(port):
    form = route_form(port=port)
    assert not form.is_valid() and "port" in form.errors


def test_service_port_by_number_or_name():
    assert route_form(port="80").is_valid()
    assert route_form(port="http").is_valid()


def test_unknown_service_and_secret_are_refused():
    form = route_form(service="nope", tls_secret="stolen")
    assert not form.is_valid()
    assert set(form.errors) >= {"service", "tls_secret"}


def test_route_names_are_dns_labels():
    for bad in ("Shop", "shop.web", "-shop", "s" * 64):
        assert "name" in route_form(name=bad).errors, bad


def test_editing_keeps_the_name():
    form = RouteForm(
        {"name": "other", "host": "x.example.com", "path": "/", "service": "web", "port": "80"},
        project="demo",
        services=WEB_PORTS,
        editing="shop",
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "shop"


def test_expose_checks_declared_ports_and_generates_the_host(settings):
    settings.BERTH_APPS_DOMAIN = "apps.berth.local"
    deployments = {"web": [8080], "worker": []}
    bad = ExposeForm({"deployment": "web", "port": "9000"}, project="demo", deployments=deployments)
    assert not bad.is_valid() and "does not declare port 9000" in " ".join(bad.errors["port"])
    free = ExposeForm({"deployment": "worker", "port": "9000"}, project="demo", deployments=deployments)
    assert free.is_valid(), free.errors  # no declared ports: any port may be meant
    good = ExposeForm(
        {"deployment": "web", "port": "8080", "path": ""}, project="demo", deployments=deployments
    )
    assert good.is_valid(), good.errors
    assert good.cleaned_data["host"] == "web-demo.apps.berth.local" and good.cleaned_data["path"] == "/"
    missing = ExposeForm({"deployment": "gone", "port": "80"}, project="demo", deployments=deployments)
    assert "deployment" in missing.errors
    host = ExposeForm(
        {"deployment": "web", "port": "8080", "host": "bad host"}, project="demo", deployments=deployments
    )
    assert "host" in host.errors


# What is sent to the cluster, and read back -----------------------------------


def test_ingress_round_trip_with_tls():
    spec = RouteSpec(
        name="shop", host="shop.example.com", path="/api", service="web", port="http", tls_secret="c"
    )
    body = ingress_body(spec)
    rule = body["spec"]["rules"][0]
    assert rule["host"] == "shop.example.com"
    assert rule["http"]["paths"][0]["pathType"] == "Prefix"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "web", "port": {"name": "http"}}
    assert body["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "c"}]
    route = route_from_ingress(body | {"metadata": {"name": "shop"}})
    assert route.as_spec() == spec
    assert route.url == "https://shop.example.com/api"


def test_ingress_without_tls_is_plain_http_with_a_numbered_port():
    spec = RouteSpec(name="shop", host="shop.example.com", path="/", service="web", port="80")
    body = ingress_body(spec)
    assert "tls" not in body["spec"]
    assert body["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] == {"number": 80}
    route = route_from_ingress(body | {"metadata": {"name": "shop"}})
    assert route.url == "http://shop.example.com" and route.as_spec() == spec


def test_an_ingress_made_elsewhere_with_several_rules():
    route = route_from_ingress(
        {
            "metadata": {"name": "multi"},
            "spec": {
                "rules": [
                    {
                        "host": "a.example.com",
                        "http": {
                            "paths": [
                                {"path": "/", "backend": {"service": {"name": "a", "port": {"number": 1}}}},
                                {"path": "/b", "backend": {"service": {"name": "b", "port": {"number": 2}}}},
                            ]
                        },
                    },
                    {
                        "host": "c.example.com",
                        "http": {
                            "paths": [
                                {"path": "/", "backend": {"service": {"name": "c", "port": {"number": 3}}}}
                            ]
                        },
                    },
                ]
            },
        }
    )
    assert (route.host, route.service, route.port, route.more_rules) == ("a.example.com", "a", "1", 2)


def test_openshift_route_round_trip():
    spec = RouteSpec(
        name="shop", host="shop.example.com", path="/", service="web", port="8080", tls_secret="c"
    )
    body = openshift_route_body(spec)
    assert body["kind"] == "Route" and body["spec"]["to"] == {"kind": "Service", "name": "web", "weight": 100}
    assert body["spec"]["tls"]["termination"] == "edge"
    assert body["spec"]["tls"]["externalCertificate"] == {"name": "c"}
    route = route_from_openshift(body | {"metadata": {"name": "shop"}})
    assert route.as_spec() == spec and route.kind == "Route" and route.url.startswith("https://")
    plain = openshift_route_body(RouteSpec(name="s", host="h.example.com", path="/", service="w", port="web"))
    assert "tls" not in plain["spec"] and plain["spec"]["port"] == {"targetPort": "web"}


def test_endpoints_from_slices_group_by_service_and_read_readiness():
    slices = [
        {
            "metadata": {"labels": {"kubernetes.io/service-name": "web"}},
            "endpoints": [
                {
                    "addresses": ["10.0.0.2"],
                    "conditions": {"ready": True},
                    "targetRef": {"kind": "Pod", "name": "web-1"},
                    "nodeName": "n1",
                },
                {
                    "addresses": ["10.0.0.3"],
                    "conditions": {"ready": False},
                    "targetRef": {"kind": "Pod", "name": "web-2"},
                },
                {"addresses": ["10.0.0.4"], "conditions": {}},
            ],
        },
        {"metadata": {"labels": {}}, "endpoints": [{"addresses": ["10.9.9.9"]}]},
    ]
    found = endpoints_from_slices(slices)
    assert list(found) == ["web"]
    assert [(e.address, e.ready, e.pod) for e in found["web"]] == [
        ("10.0.0.4", True, ""),
        ("10.0.0.2", True, "web-1"),
        ("10.0.0.3", False, "web-2"),
    ]


def test_route_urls_carry_the_routers_ports_when_they_are_not_the_defaults(settings):
    plain = Route(
        name="web",
        host="web-demo.apps.localhost",
        path="/",
        service="web",
        port="8080",
        tls_secret="",
        tls=False,
        kind="Ingress",
    )
    secure = Route(
        name="web",
        host="web-demo.apps.localhost",
        path="/api",
        service="web",
        port="8080",
        tls_secret="cert",
        tls=True,
        kind="Ingress",
    )
    settings.BERTH_ROUTER_HTTP_PORT, settings.BERTH_ROUTER_HTTPS_PORT = "", ""
    assert (plain.url, secure.url) == (
        "http://web-demo.apps.localhost",
        "https://web-demo.apps.localhost/api",
    )
    settings.BERTH_ROUTER_HTTP_PORT, settings.BERTH_ROUTER_HTTPS_PORT = "40080", "40443"
    assert plain.url == "http://web-demo.apps.localhost:40080"
    assert secure.url == "https://web-demo.apps.localhost:40443/api"
