"""Reads. Every read takes the person and returns only what they may see."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from actions.selectors import project_actions
from kube import Forbidden, NotFound, identity_for_user
from projects import cluster as cluster_projects
from projects import data
from projects.roles import role_at_least


def project_list(*, user, search: str = "") -> list[cluster_projects.Project]:
    """The projects where the person (or one of their groups) has a role."""
    projects = cluster_projects.project_index(identity_for_user(user))
    if search:
        needle = search.lower()
        projects = [p for p in projects if needle in p.name or needle in p.display_name.lower()]
    return projects


def project_get(*, user, name: str) -> cluster_projects.Project:
    """The project, with the person's role; NotFound when they have none. What Berth kept
    under the name for an earlier namespace is purged first (:mod:`projects.data`)."""
    project = cluster_projects.project_get(identity_for_user(user), name)
    data.bind(project)
    return project


def has_role(*, user, name: str, at_least: str = "view") -> bool:
    """Whether the person has a role in the project (``at_least`` that one; the cluster,
    asked as them); Unavailable when it doesn't answer, which is not a no."""
    try:
        project = project_get(user=user, name=name)
    except (NotFound, Forbidden):
        return False
    return role_at_least(project.my_role, at_least)


def project_overview(*, user, project: cluster_projects.Project) -> dict:
    identity = identity_for_user(user)
    return {
        "counts": cluster_projects.project_counts(identity, project=project.name),
        "quota": cluster_projects.quota_usage(identity, project=project.name),
        "recent_actions": project_actions(project=project)[:5],
    }


def known_to_berth(*, kind: str, name: str) -> bool:
    """Whether a member's name is a Berth account (User) or Django group (Group)."""
    if kind == "Group":
        return Group.objects.filter(name=name).exists()
    return get_user_model().objects.filter(username=name).exists()


def may_choose_any_quota(*, user) -> bool:
    return cluster_projects.may_choose_any_quota(identity_for_user(user))


def project_name_taken(name: str) -> bool:
    """Whether a namespace of that name exists, anyone's (names are cluster-wide)."""
    return cluster_projects.namespace_exists(name)
