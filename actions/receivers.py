"""Forget a deleted project's actions, except the one that made its namespace again:
see :mod:`projects.data`."""

from __future__ import annotations

from django.dispatch import receiver

from actions.models import Action
from projects.data import project_data_purged


@receiver(project_data_purged, dispatch_uid="actions.purge")
def purge_actions(*, name: str, keep_action: int | None, before, **_) -> tuple[str, int]:
    actions = Action.objects.filter(project=name)
    if keep_action is not None:
        actions = actions.exclude(pk=keep_action)
    if before is not None:
        actions = actions.filter(created_at__lt=before)
    count, _ = actions.delete()
    return "actions", count
