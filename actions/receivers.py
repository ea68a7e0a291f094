"""Forget a deleted project's actions, except the one that made its namespace again:
see :mod:`projects.data`."""

from __future__ import annotations

from django.dispatch import receiver

from actions.models import Action
from projects.data import delete_rows, project_data_purged


@receiver(project_data_purged, dispatch_uid="actions.purge")
def purge_actions(*, name: str, keep_action: int | None, before, **_) -> tuple[str, int]:
    return "actions", delete_rows(Action.objects.filter(project=name).exclude(pk=keep_action), before=before)
