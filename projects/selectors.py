"""Reads. Every read takes the person and returns only what they may see."""

from __future__ import annotations

from django.db.models import QuerySet

from projects.models import Action


def action_list(*, user) -> QuerySet[Action]:
    """Actions the person may see: their own (project access widens this)."""
    if not user.is_authenticated:
        return Action.objects.none()
    if user.is_superuser:
        return Action.objects.all()
    return Action.objects.filter(requested_by=user)


def action_get(*, user, pk: int) -> Action | None:
    return action_list(user=user).filter(pk=pk).first()
