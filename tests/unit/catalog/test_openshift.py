"""What OpenShift's Route and DeploymentConfig become where the cluster has none, on their own."""

from __future__ import annotations

import pytest

from builds.cluster import REPLICAS_AFTER_BUILD
from catalog.openshift import built_stream_tags, deployment_from_config, hosts_of, is_route, route_spec

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


def _dc(stream: str = "shop:latest", automatic: bool = True, replicas: int = 2) -> dict:
    return {
        "apiVersion": "apps.openshift.io/v1",
        "kind": "DeploymentConfig",
        "metadata": {"name": "shop"},
        "spec": {
            "replicas": replicas,
            "selector": {"name": "shop"},
            "template": {"spec": {"containers": [{"name": "web", "image": " "}]}},
            "triggers": [
                {
                    "type": "ImageChange",
                    "imageChangeParams": {
                        "automatic": automatic,
                        "containerNames": ["web"],
                        "from": {"kind": "ImageStreamTag", "name": stream},
                    },
                }
            ],
        },
    }


def _bc(output: dict) -> dict:
    return {"apiVersion": "build.openshift.io/v1", "kind": "BuildConfig", "spec": {"output": {"to": output}}}


def test_the_stream_tags_a_templates_builds_make():
    objects = [
        _bc({"kind": "ImageStreamTag", "name": "shop:latest"}),
        _bc({"kind": "ImageStreamTag", "name": "api"}),  # no tag: latest
        _bc({"kind": "ImageStreamTag", "name": "other:1", "namespace": "elsewhere"}),
        _bc({"kind": "DockerImage", "name": "quay.io/x/y:1"}),
        _dc(),
    ]
    assert built_stream_tags(objects, project="p") == {"shop:latest", "api:latest"}


def test_a_deployment_waits_for_the_first_image_its_templates_build_makes():
    deployment, problems = deployment_from_config(
        _dc(), project="p", registry="r", resolve=None, built=frozenset({"shop:latest"})
    )
    assert problems == []
    assert deployment["spec"]["replicas"] == 0
    assert deployment["metadata"]["annotations"][REPLICAS_AFTER_BUILD] == "2"
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "r/p/shop:latest"


@pytest.mark.parametrize(
    ("dc", "built"),
    [
        (_dc(), frozenset()),  # an image pushed some other way: it may be there already
        (_dc(automatic=False), frozenset({"shop:latest"})),  # a trigger that does not follow
        (_dc(replicas=0), frozenset({"shop:latest"})),  # nothing to start anyway
    ],
)
def test_otherwise_a_deployment_keeps_its_replicas(dc, built):
    deployment, _ = deployment_from_config(dc, project="p", registry="r", resolve=None, built=built)
    assert deployment["spec"]["replicas"] == dc["spec"]["replicas"]
    assert REPLICAS_AFTER_BUILD not in deployment["metadata"].get("annotations", {})
