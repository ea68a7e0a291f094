"""Forget a deleted project's build configs (and with them their builds, logs, image
history and webhook deliveries): see :mod:`projects.data`."""

from __future__ import annotations

from django.dispatch import receiver

from builds.models import BuildConfig
from projects.data import delete_rows, project_data_purged


@receiver(project_data_purged, dispatch_uid="builds.purge")
def purge_build_configs(*, name: str, before, **_) -> tuple[str, int]:
    return "build rows", delete_rows(BuildConfig.objects.filter(project=name), before=before)
