"""Reads: an action, and a project's audit trail, for the person asking."""

from __future__ import annotations

from django.db.models import QuerySet

from actions.models import Action
from kube import ClusterError, identity_for_user
from projects import cluster as project_cluster
from projects import data


def project_actions(*, project) -> QuerySet[Action]:
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
            project = project_cluster.project_get(identity_for_user(user), action.project)
        except ClusterError:  # no role (NotFound), or the cluster cannot say: no access
            return None
        # An action of an earlier project of that name is purged, not shown to this one's members.
        data.bind(project)
        return Action.objects.filter(pk=pk).first()
    return None
