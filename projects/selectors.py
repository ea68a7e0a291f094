"""Reads. Every read takes the person and returns only what they may see."""

from __future__ import annotations

from django.db.models import QuerySet

from console.cluster import NotFound, identity_for_user
from console.cluster import projects as cluster_projects
from projects.models import Action


def project_list(*, user, search: str = "") -> list[cluster_projects.Project]:
    """The projects where the person (or one of their groups) has a role."""
    projects = cluster_projects.project_index(identity_for_user(user))
    if search:
        needle = search.lower()
        projects = [p for p in projects if needle in p.name or needle in p.display_name.lower()]
    return projects


def project_get(*, user, name: str) -> cluster_projects.Project:
    """The project, with the person's role; NotFound when they have none."""
    return cluster_projects.project_get(identity_for_user(user), name)


def project_overview(*, user, project: cluster_projects.Project) -> dict:
    identity = identity_for_user(user)
    return {
        "counts": cluster_projects.project_counts(identity, project=project.name),
        "quota": cluster_projects.quota_usage(identity, project=project.name),
        "recent_actions": project_actions(project=project)[:5],
    }


def project_actions(*, project: cluster_projects.Project) -> QuerySet[Action]:
    """The audit trail of a project the caller has already been allowed into."""
    return Action.objects.filter(project=project.name)


def action_get(*, user, pk: int) -> Action | None:
    """An action the person asked for, or one of a project they have a role in."""
    if not user.is_authenticated:
        return None
    action = Action.objects.filter(pk=pk).first()
    if action is None:
        return None
    if user.is_superuser or action.requested_by_id == user.pk:
        return action
    if action.project:
        try:
            project_get(user=user, name=action.project)
        except NotFound:
            return None
        return action
    return None
