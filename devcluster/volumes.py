"""python -m devcluster.volumes — the devcluster's storage: volumes on the real node.

The storage class ``berth-local`` (the cluster's default) has this process as its
provisioner. A claim of that class waits for its first pod (``WaitForFirstConsumer``);
once the scheduler has picked the real node for it, this makes a directory under
``<devcluster>/volumes/`` and a PersistentVolume on it (``hostPath``, pinned to the
real node, bound to the claim). When the claim is deleted, the volume and its
directory go too (``Delete``). Claims of pods placed on kwok's fake nodes stay
Pending: nothing can hold their data.

The directories outlive ``down``/``up`` with the objects in etcd; ``down --purge``
removes them. A directory is made world-writable, as local-path-provisioner makes
its own, since an image's user (PostgreSQL's 26) writes there.

The control loop polls (once a second): the devcluster has few claims, and a poll
needs no resumption after the apiserver restarts.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

CLASS = "berth-local"
PROVISIONER = "berth.io/devcluster-local"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
POLL_SECONDS = 1.0

log = logging.getLogger("devcluster.volumes")


def storage_class() -> dict[str, Any]:
    return {
        "metadata": {
            "name": CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": False,
    }


def rules() -> list[dict[str, Any]]:
    """What the provisioner may do (its ClusterRole)."""
    read = ["get", "list", "watch"]
    return [
        {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": [*read, "create", "delete"]},
        {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": read},
        {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": read},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    ]


def volume_for(claim: Any, node: str, root: Path) -> dict[str, Any]:
    """The PersistentVolume that holds `claim` in a directory of `root` on `node`."""
    name = f"pvc-{claim.metadata.uid}"
    return {
        "metadata": {"name": name, "annotations": {PROVISIONED_BY: PROVISIONER}},
        "spec": {
            "capacity": {"storage": claim.spec.resources.requests["storage"]},
            "accessModes": list(claim.spec.access_modes or ["ReadWriteOnce"]),
            "volumeMode": claim.spec.volume_mode or "Filesystem",
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": CLASS,
            "hostPath": {"path": str(root / name), "type": "Directory"},
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
                            ]
                        }
                    ]
                }
            },
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": claim.metadata.namespace,
                "name": claim.metadata.name,
                "uid": claim.metadata.uid,
            },
        },
    }


class Provisioner:
    def __init__(self, api: client.ApiClient, node: str, root: Path) -> None:
        self.core = client.CoreV1Api(api)
        self.node = node
        self.root = root

    def sync(self) -> None:
        for claim in self.core.list_persistent_volume_claim_for_all_namespaces().items:
            if self._wants_volume(claim):
                self.provision(claim)
        for volume in self.core.list_persistent_volume().items:
            annotations = volume.metadata.annotations or {}
            ours = annotations.get(PROVISIONED_BY) == PROVISIONER
            if ours and volume.status.phase in ("Released", "Failed"):
                self.delete(volume)

    def _wants_volume(self, claim: Any) -> bool:
        annotations = claim.metadata.annotations or {}
        return (
            claim.spec.storage_class_name == CLASS
            and not claim.spec.volume_name
            and claim.status.phase == "Pending"
            and claim.metadata.deletion_timestamp is None
            and annotations.get(SELECTED_NODE) == self.node
        )

    def provision(self, claim: Any) -> None:
        body = volume_for(claim, self.node, self.root)
        path = Path(body["spec"]["hostPath"]["path"])
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o777)  # after mkdir: the umask would take bits away
        try:
            self.core.create_persistent_volume(body)
        except ApiException as exc:
            if exc.status != 409:  # made by the previous poll, not yet bound
                raise
            return
        log.info(
            "provisioned %s for %s/%s at %s",
            body["metadata"]["name"],
            claim.metadata.namespace,
            claim.metadata.name,
            path,
        )

    def delete(self, volume: Any) -> None:
        path = Path(volume.spec.host_path.path) if volume.spec.host_path else None
        if path is not None and path.parent == self.root:  # never anything else on the host
            shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(ApiException):
            self.core.delete_persistent_volume(volume.metadata.name)
        log.info("deleted %s and its directory", volume.metadata.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devcluster.volumes")
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--node", required=True, help="the real node's name")
    parser.add_argument("--root", required=True, type=Path, help="where the volumes' directories go")
    parser.add_argument("--ready-file", required=True, type=Path, help="gets the pid after a sync")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    args.root.mkdir(parents=True, exist_ok=True)
    api = config.new_client_from_config(str(args.kubeconfig))
    provisioner = Provisioner(api, args.node, args.root.resolve())
    ready = False
    while True:
        try:
            provisioner.sync()
        except Exception as exc:  # the apiserver restarting: say it, go on polling
            log.warning("sync failed: %s", exc)
        else:
            if not ready:
                args.ready_file.write_text(str(os.getpid()))
                ready = True
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
