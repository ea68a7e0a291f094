"""Guards on the permission matrix (tests/cluster/test_permission_matrix.py): every URL is
classified, and every project page has Berth's access check. No cluster needed."""

from __future__ import annotations

import pytest

from projects.access import FORM, READ, SUBMIT
from projects.roles import ROLES
from tests.helpers import (
    GLOBAL_PAGES,
    OBJECT_PAGES,
    TOKEN_SERVICE,
    WEBHOOKS,
    object_routes,
    project_routes,
    url_routes,
    websocket_patterns,
)


def test_every_url_is_a_project_page_an_object_page_a_webhook_or_global():
    """A new URL outside these lands here first: put it in the matrix, or say why not."""
    project = {r.name for r in project_routes()}
    unclassified = [
        r.pattern
        for r in url_routes()
        if r.name not in project | OBJECT_PAGES | WEBHOOKS | GLOBAL_PAGES | TOKEN_SERVICE
        and not r.pattern.startswith("static")
    ]
    assert unclassified == []
    assert len(project) >= 43
    assert {name.split(":")[0] for name in project} == {
        "projects",
        "workloads",
        "networking",
        "storage",
        "builds",
        "images",
        "configs",
        "objects",
        "catalog",
    }
    assert [r.name for r in object_routes()] == ["actions:detail"]


def test_every_websocket_is_in_the_matrix():
    assert sorted(websocket_patterns()) == [
        "ws/actions/<int:action_id>/",
        "ws/builds/<int:build_id>/",
        "ws/projects/<label:name>/<str:resource>/",
        "ws/projects/<label:name>/pods/<subdomain:pod>/log/",
        "ws/projects/<label:name>/pods/<subdomain:pod>/terminal/",
        "ws/projects/<label:name>/runs/<int:run>/terminal/",
        "ws/runs/<int:run_id>/",
    ]


@pytest.mark.parametrize("route", project_routes(), ids=lambda r: r.name)
def test_every_project_view_checks_access(route):
    """``project_view`` marks the views it guards with the role they need."""
    needed = getattr(route.view, "min_role", None)
    assert needed in ROLES, f"{route.pattern} ({route.name}) has no project_view access check"
    assert route.view.methods in (READ, SUBMIT, FORM), f"{route.name} answers {route.view.methods}"
