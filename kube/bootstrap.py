"""Apply deploy/rbac.yaml with Berth's own credentials (development clusters)."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings

from kube.client import api, call, system_identity
from kube.errors import Conflict

RBAC_MANIFEST = Path(settings.BASE_DIR) / "deploy" / "rbac.yaml"


# The devcluster's token users for Berth's processes, bound like their ServiceAccounts.
PROCESS_BINDINGS = ("berth-web", "berth-actions", "berth-builds")


def rbac_apply(path: Path = RBAC_MANIFEST, *, devcluster_users: bool = False) -> list[str]:
    """Create or replace each ClusterRole and ClusterRoleBinding in the manifest; with
    ``devcluster_users``, the process bindings also name the devcluster's user of the same
    name (it has no ServiceAccount tokens for processes that run outside the cluster)."""
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
        if (
            devcluster_users
            and doc["kind"] == "ClusterRoleBinding"
            and doc["metadata"]["name"] in PROCESS_BINDINGS
        ):
            user = {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": doc["metadata"]["name"]}
            doc["subjects"] = [*doc["subjects"], user]
        try:
            call(create, doc)
        except Conflict:
            call(replace, doc["metadata"]["name"], doc)
        applied.append(f"{doc['kind']}/{doc['metadata']['name']}")
    return applied
