"""What Berth keeps about a project outside the cluster: which namespace its data is for."""

from __future__ import annotations

from django.db import models


class ProjectRecord(models.Model):
    """The namespace (by UID) that Berth's data kept under a project's name belongs to.

    Build configs, builds, logs, images and actions are kept under the project's *name*.
    A namespace deleted and created again under that name is another project: the first
    time Berth sees the new UID, the old project's data is purged
    (:func:`projects.data.bind`), so its new owner never reads what the old one left.
    """

    name = models.CharField(max_length=63, primary_key=True)
    uid = models.CharField(max_length=64)
    bound_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.uid})"
