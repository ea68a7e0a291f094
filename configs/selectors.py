"""Reads: a project's Secrets and ConfigMaps, as the person."""

from __future__ import annotations

from configs import cluster as cluster_configs
from kube import Forbidden, identity_for_user


def config_list(*, user, project, kind: str) -> list[cluster_configs.ConfigObject] | None:
    """The objects of ``kind``; None when the person's role may not list them (a viewer
    may not list Secrets: listing them would hand over their values)."""
    try:
        return cluster_configs.config_list(identity_for_user(user), namespace=project.name, kind=kind)
    except Forbidden:
        return None


def config_get(*, user, project, kind: str, name: str) -> cluster_configs.ConfigObject:
    """The object with its keys; a ConfigMap's values too (a Secret's are revealed one by one)."""
    return cluster_configs.config_get(
        identity_for_user(user), namespace=project.name, kind=kind, name=name, values=kind == "configmap"
    )
