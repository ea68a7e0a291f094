"""Names in URLs follow their kind's Kubernetes rule, or the URL is a 404 before any view."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve

from console.routing import websocket_urlpatterns


@pytest.mark.parametrize(
    "path",
    [
        "/projects/shop/",
        "/projects/shop/volumes/data/",
        "/projects/shop/pods/web-7d4b9c-x2x9z/",
        "/projects/shop/deployments/web.v2/",
        "/projects/shop/services/web/",
        "/projects/shop/builds/app/3/",
    ],
)
def test_names_that_follow_the_rules_resolve(path):
    resolve(path)


@pytest.mark.parametrize(
    "path",
    [
        "/projects/../",
        "/projects/./members/",
        "/projects/shop/volumes/../delete/",
        "/projects/shop/volumes/./",
        "/projects/shop/pods/../",
        "/projects/shop/deployments/.hidden/",
        "/projects/Shop/",
        "/projects/shop/services/1web/",  # a service name starts with a letter
        "/projects/shop/services/web.v2/",  # and has no dots
        "/projects/" + "a" * 64 + "/",
        "/projects/shop/pods/" + ".".join(["a" * 63] * 4) + "/",  # 255 characters
        "/webhooks/shop/../github/",
    ],
)
def test_names_that_break_them_are_404(path):
    with pytest.raises(Resolver404):
        resolve(path)


def test_websocket_routes_refuse_them_too():
    paths = ["ws/projects/../pods/", "ws/projects/shop/pods/../log/", "ws/projects/%2e%2e/pods/"]
    for path in paths:
        assert not any(route.pattern.match(path) for route in websocket_urlpatterns), path
    assert any(route.pattern.match("ws/projects/shop/pods/web-1/log/") for route in websocket_urlpatterns)
