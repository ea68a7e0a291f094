"""Forget a deleted project's images in the integrated registry: see :mod:`projects.data`."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from images import distribution, registry
from projects.data import project_data_purged

log = logging.getLogger(__name__)


@receiver(project_data_purged, dispatch_uid="images.purge")
def purge_images(*, name: str, before, **_) -> tuple[str, int]:
    if before is not None or not registry.enabled():
        # The registry keeps no dates to choose by: only a whole project's images go.
        return "images", 0
    try:
        return "images", distribution.forget_project(name)
    except distribution.RegistryError as exc:
        # The database's data is purged all the same; what the registry keeps is said here.
        log.warning("The images of the deleted project %s are still in the registry: %s", name, exc)
        return "images", 0
