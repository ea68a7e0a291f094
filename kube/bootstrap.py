"""Apply deploy/rbac.yaml with Berth's own credentials (development clusters)."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings

from kube.client import api, call, system_identity
from kube.errors import Conflict

RBAC_MANIFEST = Path(settings.BASE_DIR) / "deploy" / "rbac.yaml"


def rbac_apply(path: Path = RBAC_MANIFEST) -> list[str]:
    """Create or replace each ClusterRole and ClusterRoleBinding in the manifest."""
    rbac = api(system_identity(), "rbac")
    kinds = {
        "ClusterRole": (rbac.create_cluster_role, rbac.replace_cluster_role),
        "ClusterRoleBinding": (rbac.create_cluster_role_binding, rbac.replace_cluster_role_binding),
    }
    applied = []
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc:
            continue
        create, replace = kinds[doc["kind"]]
        try:
            call(create, doc)
        except Conflict:
            call(replace, doc["metadata"]["name"], doc)
        applied.append(f"{doc['kind']}/{doc['metadata']['name']}")
    return applied
