"""Forget a deleted project's saved templates: see :mod:`projects.data`."""

from __future__ import annotations

from django.dispatch import receiver

from catalog.models import ProjectTemplate
from projects.data import delete_rows, project_data_purged


@receiver(project_data_purged, dispatch_uid="catalog.purge")
def purge_templates(*, name: str, before, **_) -> tuple[str, int]:
    return "saved templates", delete_rows(ProjectTemplate.objects.filter(project=name), before=before)
