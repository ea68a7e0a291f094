"""Reads on volumes, as the person (the cluster's RBAC decides)."""

from __future__ import annotations

from kube import identity_for_user
from storage import cluster as cluster_storage


def volume_list(*, user, project) -> list[cluster_storage.Volume]:
    return cluster_storage.volume_list(identity_for_user(user), namespace=project.name)


def volume_get(*, user, project, name: str) -> cluster_storage.Volume:
    return cluster_storage.volume_get(identity_for_user(user), namespace=project.name, name=name)


def storage_classes() -> list[cluster_storage.StorageClass]:
    """Cluster configuration everyone may choose from (read with Berth's identity)."""
    return cluster_storage.storage_classes()
