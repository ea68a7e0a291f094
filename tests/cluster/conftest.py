"""Fixtures for Berth's own cluster tests."""

from __future__ import annotations

import contextlib

import pytest
from kubernetes import client

from console.cluster import identity_for_user
from console.cluster import projects as cluster_projects
from tests.cluster.projects_helpers import SMALL, unique_name


@pytest.fixture
def make_project(berth_cluster, admin_client):
    """Create projects the way the project.create action does; delete them afterwards."""
    made: list[str] = []

    def make(owner, name: str | None = None, display_name: str = "") -> str:
        name = name or unique_name()
        cluster_projects.project_create(
            identity_for_user(owner),
            name=name,
            display_name=display_name,
            description="",
            quota=SMALL,
            action_id=0,
        )
        made.append(name)
        return name

    yield make
    core = client.CoreV1Api(admin_client)
    for name in made:
        with contextlib.suppress(client.exceptions.ApiException):
            core.delete_namespace(name)
