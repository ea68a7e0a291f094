"""Writes on volumes: each is an action, validated here, done by a task.

What can be checked before queueing is checked here, and refused with the form
field it concerns, so that bad input creates nothing.
"""

from __future__ import annotations

from django.urls import reverse

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_start
from kube import identity_for_user
from kube.errors import Forbidden, Invalid
from kube.quantity import parse_quantity
from projects.access import require_role
from storage import cluster as cluster_storage


def _volume_url(project, name: str) -> str:
    return reverse("storage:volume", kwargs={"name": project.name, "volume": name})


def volume_create(*, user, project, name: str, size: str, access_mode: str, storage_class: str) -> Action:
    require_role(project, "edit")
    identity = identity_for_user(user)
    if name in {v.name for v in cluster_storage.volume_list(identity, namespace=project.name)}:
        raise Refused(field="name", message=f"A volume named {name} exists already in this project.")
    return action_start(
        kind="volume.create",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={
            "name": name,
            "size": size,
            "access_mode": access_mode,
            "storage_class": storage_class,
            "next": _volume_url(project, name),
        },
    )


def volume_attach(*, user, project, name: str, deployment: str, mount_path: str) -> Action:
    require_role(project, "edit")
    try:
        changes = cluster_storage.volume_attach_check(
            identity_for_user(user),
            namespace=project.name,
            name=name,
            deployment=deployment,
            mount_path=mount_path,
        )
    except Invalid as exc:
        raise Refused(str(exc), field=next(iter(exc.fields), "mount_path")) from None
    if not changes:
        raise Refused(
            field="mount_path", message=f"{name} is already mounted in {deployment} at {mount_path}."
        )
    return action_start(
        kind="volume.attach",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={
            "name": name,
            "deployment": deployment,
            "mount_path": mount_path,
            "next": _volume_url(project, name),
        },
    )


def volume_detach(*, user, project, name: str, deployment: str) -> Action:
    require_role(project, "edit")
    return action_start(
        kind="volume.detach",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={"name": name, "deployment": deployment, "next": _volume_url(project, name)},
    )


def volume_expand(*, user, project, name: str, size: str) -> Action:
    """Refused here, at the size field, when the volume can't grow to ``size``: not bound,
    a class that doesn't allow it, not larger, or the cluster's own dry run says no
    (the quota)."""
    require_role(project, "edit")
    identity = identity_for_user(user)
    volume = cluster_storage.volume_get(identity, namespace=project.name, name=name)
    if volume.status != "Bound":
        raise Refused(field="size", message=f"{name} is {volume.status}: only a bound volume can grow.")
    classes = {c.name: c for c in cluster_storage.storage_classes()}
    if volume.storage_class not in classes or not classes[volume.storage_class].expandable:
        which = f"The storage class {volume.storage_class}" if volume.storage_class else "A classless volume"
        raise Refused(field="size", message=f"{which} does not let volumes grow (allowVolumeExpansion).")
    if parse_quantity(size) <= parse_quantity(volume.requested):
        raise Refused(
            field="size",
            message=f"{name} has {volume.requested} now: give a larger size (volumes can't shrink).",
        )
    try:
        cluster_storage.volume_expand(identity, namespace=project.name, name=name, size=size, dry_run=True)
    except (Invalid, Forbidden) as exc:
        raise Refused(field="size", message=f"The cluster refused {size}: {exc}") from None
    return action_start(
        kind="volume.expand",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={"name": name, "size": size, "next": _volume_url(project, name)},
    )


def volume_delete(*, user, project, name: str, detach: bool) -> Action:
    require_role(project, "edit")
    volume = cluster_storage.volume_get(identity_for_user(user), namespace=project.name, name=name)
    if volume.mounted_by and not detach:
        users = ", ".join(m.deployment for m in volume.mounted_by)
        raise Refused(field="detach", message=f"{name} is mounted by {users}: confirm detaching it first.")
    return action_start(
        kind="volume.delete",
        user=user,
        project=project.name,
        target=f"volume/{name}",
        parameters={
            "name": name,
            "detach": detach,
            "next": reverse("storage:volumes", kwargs={"name": project.name}),
        },
    )
