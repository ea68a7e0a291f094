"""Forget a deleted project's host claims: see :mod:`projects.data`."""

from __future__ import annotations

from django.dispatch import receiver

from networking.models import RouteHost
from projects.data import delete_rows, project_data_purged


@receiver(project_data_purged, dispatch_uid="networking.purge")
def purge_host_claims(*, name: str, before, **_) -> tuple[str, int]:
    claims = RouteHost.objects.filter(namespace=name)
    return "host claims", delete_rows(claims, before=before, date_field="claimed_at")
