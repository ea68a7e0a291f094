"""Volumes: PersistentVolumeClaims, the storage classes to make them from, and
the deployments that mount them.

Attaching and detaching change a deployment's pod template (a new ReplicaSet
revision rolls out). Templates are read and patched as plain JSON with a
``test`` on the generation, so fields this client does not know survive
and a template changed in between is never overwritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from kubernetes import client as k8s

from kube.client import MANAGED_BY, Identity, api, call, parse_time, system_identity
from kube.errors import Conflict, Invalid, NotFound
from kube.quantity import parse_quantity
from workloads.cluster import REVISION

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
RETRIES = 5


@dataclass(frozen=True)
class StorageClass:
    name: str
    provisioner: str
    binding_mode: str
    default: bool
    expandable: bool = False  # allowVolumeExpansion: its claims may grow

    @property
    def label(self) -> str:
        return f"{self.name} (default)" if self.default else self.name


def storage_classes() -> list[StorageClass]:
    """The cluster's storage classes, read with Berth's identity: they are cluster
    configuration, offered to everyone as the choices of a new volume."""
    items = _raw(api(system_identity(), "storage").list_storage_class)["items"]
    return sorted(
        (
            StorageClass(
                name=s["metadata"]["name"],
                provisioner=s.get("provisioner", ""),
                binding_mode=s.get("volumeBindingMode") or "Immediate",
                default=(s["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true",
                expandable=bool(s.get("allowVolumeExpansion")),
            )
            for s in items
        ),
        key=lambda c: c.name,
    )


@dataclass(frozen=True)
class Mount:
    deployment: str
    paths: tuple[str, ...]
    revision: str = ""  # the deployment's current revision: attaching makes a new one


@dataclass
class Volume:
    name: str
    status: str  # Pending, Bound, Lost, or Terminating
    requested: str
    capacity: str
    access_modes: tuple[str, ...]
    storage_class: str
    volume_name: str
    created: datetime | None
    mounted_by: list[Mount] = field(default_factory=list)
    conditions: tuple[str, ...] = ()  # "Resizing: …", as the cluster words them

    @property
    def growing(self) -> bool:
        """More was asked for than the volume has yet."""
        if not self.requested or not self.capacity:
            return False
        return parse_quantity(self.requested) > parse_quantity(self.capacity)


def _raw(fn, *args, **kwargs) -> dict:
    response = call(fn, *args, _preload_content=False, **kwargs)
    return json.loads(response.data)


def volume_summary(claim: dict) -> Volume:
    meta, spec, status = claim["metadata"], claim.get("spec") or {}, claim.get("status") or {}
    return Volume(
        name=meta["name"],
        status="Terminating" if meta.get("deletionTimestamp") else status.get("phase") or "Pending",
        requested=((spec.get("resources") or {}).get("requests") or {}).get("storage", ""),
        capacity=(status.get("capacity") or {}).get("storage", ""),
        access_modes=tuple(status.get("accessModes") or spec.get("accessModes") or ()),
        storage_class=spec.get("storageClassName") or "",
        volume_name=spec.get("volumeName") or "",
        created=parse_time(meta.get("creationTimestamp")),
        conditions=tuple(
            f"{c.get('type')}: {c.get('message') or c.get('reason') or c.get('status')}"
            for c in status.get("conditions") or ()
        ),
    )


def claim_volume_names(template_spec: dict, claim: str) -> set[str]:
    """The names under which a pod template's volumes refer to ``claim``."""
    return {
        v["name"]
        for v in template_spec.get("volumes") or []
        if (v.get("persistentVolumeClaim") or {}).get("claimName") == claim
    }


def mounts_by_claim(deployments: list[dict]) -> dict[str, list[Mount]]:
    """Which deployments mount each claim, and where (mounts made outside Berth count)."""
    found: dict[str, list[Mount]] = {}
    for deployment in deployments:
        template_spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
        claims = {
            v["name"]: v["persistentVolumeClaim"]["claimName"]
            for v in template_spec.get("volumes") or []
            if (v.get("persistentVolumeClaim") or {}).get("claimName")
        }
        paths: dict[str, set[str]] = {claim: set() for claim in claims.values()}
        for container in (template_spec.get("containers") or []) + (
            template_spec.get("initContainers") or []
        ):
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") in claims:
                    paths[claims[mount["name"]]].add(mount.get("mountPath", ""))
        for claim, claim_paths in paths.items():
            found.setdefault(claim, []).append(
                Mount(
                    deployment=deployment["metadata"]["name"],
                    paths=tuple(sorted(claim_paths)),
                    revision=(deployment["metadata"].get("annotations") or {}).get(REVISION, ""),
                )
            )
    return found


def _deployments(identity: Identity, namespace: str) -> list[dict]:
    return _raw(api(identity, "apps").list_namespaced_deployment, namespace)["items"]


def volume_list(identity: Identity, *, namespace: str) -> list[Volume]:
    """The project's claims and who mounts them: two LIST calls, as the person."""
    claims = _raw(api(identity, "core").list_namespaced_persistent_volume_claim, namespace)["items"]
    mounts = mounts_by_claim(_deployments(identity, namespace))
    volumes = [volume_summary(c) for c in claims]
    for volume in volumes:
        volume.mounted_by = sorted(mounts.get(volume.name, []), key=lambda m: m.deployment)
    return sorted(volumes, key=lambda v: v.name)


def volume_get(identity: Identity, *, namespace: str, name: str) -> Volume:
    volume = volume_summary(
        _raw(api(identity, "core").read_namespaced_persistent_volume_claim, name, namespace)
    )
    volume.mounted_by = sorted(
        mounts_by_claim(_deployments(identity, namespace)).get(name, []), key=lambda m: m.deployment
    )
    return volume


def volume_create(
    identity: Identity, *, namespace: str, name: str, size: str, access_mode: str, storage_class: str
) -> None:
    """Create the claim as the person; an identical one (an earlier attempt) is kept."""
    body = k8s.V1PersistentVolumeClaim(
        metadata=k8s.V1ObjectMeta(name=name, labels=dict([MANAGED_BY])),
        spec=k8s.V1PersistentVolumeClaimSpec(
            access_modes=[access_mode],
            resources=k8s.V1VolumeResourceRequirements(requests={"storage": size}),
            # None lets the cluster's default class (if any) apply.
            storage_class_name=storage_class or None,
        ),
    )
    try:
        call(api(identity, "core").create_namespaced_persistent_volume_claim, namespace, body)
    except Conflict:
        existing = volume_get(identity, namespace=namespace, name=name)
        same = existing.requested == size and existing.access_modes[:1] == (access_mode,)
        if not same or (storage_class and existing.storage_class != storage_class):
            raise Conflict(f"A volume named {name} exists already.") from None


def pod_volume_name(claim: str, taken: set[str]) -> str:
    """A pod-template volume name for ``claim``: a DNS label, unlike any other volume's."""
    digest = hashlib.sha256(claim.encode()).hexdigest()[:8]
    base = claim if len(claim) <= 63 and "." not in claim else f"pvc-{digest}"
    if base not in taken:
        return base
    return f"{claim[:40].rstrip('-.').replace('.', '-')}-pvc-{digest}"


def _unchanged(deployment: dict) -> dict:
    """The patch's precondition: the spec is still the one read. The generation moves
    only when the spec does (status updates during a rollout leave it alone)."""
    return {"op": "test", "path": "/metadata/generation", "value": deployment["metadata"]["generation"]}


def attach_patch(deployment: dict, *, claim: str, mount_path: str) -> list[dict] | None:
    """The JSON patch that mounts ``claim`` at ``mount_path`` in every container, or
    None when it is mounted there already. Refuses a path another volume uses."""
    spec = deployment["spec"]["template"]["spec"]
    volumes = list(spec.get("volumes") or [])
    existing = claim_volume_names(spec, claim)
    volume_name = sorted(existing)[0] if existing else pod_volume_name(claim, {v["name"] for v in volumes})
    if not existing:
        volumes.append({"name": volume_name, "persistentVolumeClaim": {"claimName": claim}})
    containers = spec.get("containers") or []
    patch: list[dict] = [_unchanged(deployment)]
    changed = not existing
    for index, container in enumerate(containers):
        mounts = list(container.get("volumeMounts") or [])
        for mount in mounts:
            if mount.get("mountPath") == mount_path and mount.get("name") not in existing | {volume_name}:
                message = (
                    f"The container {container['name']} already mounts the volume {mount['name']} "
                    f"at {mount_path}. Choose another path."
                )
                raise Invalid(message, {"mount_path": message})
        ours = [m for m in mounts if m.get("name") in existing | {volume_name}]
        if len(ours) == 1 and ours[0].get("mountPath") == mount_path:
            continue
        mounts = [m for m in mounts if m not in ours] + [{"name": volume_name, "mountPath": mount_path}]
        patch.append(
            {"op": "add", "path": f"/spec/template/spec/containers/{index}/volumeMounts", "value": mounts}
        )
        changed = True
    if not changed:
        return None
    patch.append({"op": "add", "path": "/spec/template/spec/volumes", "value": volumes})
    return patch


def detach_patch(deployment: dict, *, claim: str) -> list[dict] | None:
    """The JSON patch that takes ``claim`` out of the pod template, or None when it is not in it."""
    spec = deployment["spec"]["template"]["spec"]
    names = claim_volume_names(spec, claim)
    if not names:
        return None
    patch: list[dict] = [
        _unchanged(deployment),
        {
            "op": "add",
            "path": "/spec/template/spec/volumes",
            "value": [v for v in spec.get("volumes") or [] if v["name"] not in names],
        },
    ]
    for kind in ("containers", "initContainers"):
        for index, container in enumerate(spec.get(kind) or []):
            mounts = container.get("volumeMounts") or []
            kept = [m for m in mounts if m.get("name") not in names]
            if len(kept) != len(mounts):
                patch.append(
                    {"op": "add", "path": f"/spec/template/spec/{kind}/{index}/volumeMounts", "value": kept}
                )
    return patch


def _patch_template(identity: Identity, *, namespace: str, deployment: str, make_patch) -> bool:
    """Apply ``make_patch(deployment)`` to the freshest copy; True when something changed."""
    apps = api(identity, "apps")
    for _ in range(RETRIES):
        current = _raw(apps.read_namespaced_deployment, deployment, namespace)
        patch = make_patch(current)
        if patch is None:
            return False
        try:
            call(apps.patch_namespaced_deployment, deployment, namespace, patch)
        except Conflict:
            continue
        except Invalid:
            # A failed "test" is a bare 422: tell it from a real refusal by the version.
            latest = _raw(apps.read_namespaced_deployment, deployment, namespace)
            if latest["metadata"].get("generation") != current["metadata"].get("generation"):
                continue  # changed in between: read again
            raise
        return True
    raise Conflict(f"{deployment} kept changing while Berth updated it. Try again.")


def volume_attach_check(
    identity: Identity, *, namespace: str, name: str, deployment: str, mount_path: str
) -> bool:
    """Would attaching change anything? Raises Invalid (at ``mount_path``) for a path
    another volume uses, NotFound for a deployment that is not there. Changes nothing."""
    current = _raw(api(identity, "apps").read_namespaced_deployment, deployment, namespace)
    return attach_patch(current, claim=name, mount_path=mount_path) is not None


def volume_attach(identity: Identity, *, namespace: str, name: str, deployment: str, mount_path: str) -> bool:
    """Mount the claim in the deployment at ``mount_path``; False when it already was."""
    volume_get(identity, namespace=namespace, name=name)  # NotFound for a claim that is gone
    return _patch_template(
        identity,
        namespace=namespace,
        deployment=deployment,
        make_patch=lambda d: attach_patch(d, claim=name, mount_path=mount_path),
    )


def volume_detach(identity: Identity, *, namespace: str, name: str, deployment: str) -> bool:
    """Take the claim out of the deployment; False when it was not mounted there."""
    return _patch_template(
        identity, namespace=namespace, deployment=deployment, make_patch=lambda d: detach_patch(d, claim=name)
    )


def volume_expand(identity: Identity, *, namespace: str, name: str, size: str, dry_run: bool) -> Volume:
    """Ask for ``size`` as the person (the API server checks the class allows it, the
    quota, and that it grows); with ``dry_run`` nothing is stored."""
    patch = {"spec": {"resources": {"requests": {"storage": size}}}}
    kwargs = {"dry_run": "All"} if dry_run else {}
    claim = call(
        api(identity, "core").patch_namespaced_persistent_volume_claim, name, namespace, patch, **kwargs
    )
    return volume_summary(api(identity, "core").api_client.sanitize_for_serialization(claim))


def volume_delete(identity: Identity, *, namespace: str, name: str, detach: bool) -> list[str]:
    """Delete the claim; with ``detach``, first take it out of every deployment that
    mounts it (their names are returned). Without, a mounted claim is refused."""
    try:
        volume = volume_get(identity, namespace=namespace, name=name)
    except NotFound:
        return []
    users = [m.deployment for m in volume.mounted_by]
    if users and not detach:
        raise Conflict(f"{name} is mounted by {', '.join(users)}. Detach it first.")
    for deployment in users:
        with contextlib.suppress(NotFound):
            volume_detach(identity, namespace=namespace, name=name, deployment=deployment)
    with contextlib.suppress(NotFound):
        call(api(identity, "core").delete_namespaced_persistent_volume_claim, name, namespace)
    return users
