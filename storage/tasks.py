"""Volume actions, run by the worker as the person who asked."""

from __future__ import annotations

import time

from django.conf import settings

from actions.models import Action
from actions.services import action_update
from actions.tasks import ActionFailed, action_identity, action_task
from kube import NotFound
from storage import cluster as cluster_storage


@action_task("volume.create")
def volume_create(action: Action) -> str:
    params = action.parameters
    wanted = params.get("storage_class") or ""
    if wanted and wanted not in {c.name for c in cluster_storage.storage_classes()}:
        raise ActionFailed(f"The storage class {wanted} no longer exists on the cluster.")
    cluster_storage.volume_create(
        action_identity(action),
        namespace=action.project,
        name=params["name"],
        size=params["size"],
        access_mode=params["access_mode"],
        storage_class=wanted,
    )
    return f"Volume {params['name']} ({params['size']}) created."


@action_task("volume.attach")
def volume_attach(action: Action) -> str:
    params = action.parameters
    try:
        changed = cluster_storage.volume_attach(
            action_identity(action),
            namespace=action.project,
            name=params["name"],
            deployment=params["deployment"],
            mount_path=params["mount_path"],
        )
    except NotFound as exc:
        raise ActionFailed(f"Nothing to attach: {exc}") from None
    if not changed:
        return f"{params['name']} was already mounted in {params['deployment']} at {params['mount_path']}."
    where = f"{params['deployment']} at {params['mount_path']}"
    return f"{params['name']} is mounted in {where}: a new revision rolls out."


@action_task("volume.detach")
def volume_detach(action: Action) -> str:
    params = action.parameters
    try:
        changed = cluster_storage.volume_detach(
            action_identity(action),
            namespace=action.project,
            name=params["name"],
            deployment=params["deployment"],
        )
    except NotFound:
        raise ActionFailed(f"The deployment {params['deployment']} no longer exists.") from None
    if not changed:
        return f"{params['name']} was not mounted in {params['deployment']}."
    return f"{params['name']} is detached from {params['deployment']}: a new revision rolls out."


@action_task("volume.expand")
def volume_expand(action: Action) -> str:
    """Done when the cluster took the new size; the capacity follows when the storage
    provider has grown the volume, which the message says rather than pretends."""
    params = action.parameters
    identity = action_identity(action)
    name, size = params["name"], params["size"]
    try:
        cluster_storage.volume_expand(identity, namespace=action.project, name=name, size=size, dry_run=False)
    except NotFound:
        raise ActionFailed(f"The volume {name} no longer exists.") from None
    action_update(action=action, progress=50, message=f"Waiting for {name} to have {size}")
    deadline = time.monotonic() + settings.BERTH_VOLUME_EXPAND_WAIT
    while True:
        volume = cluster_storage.volume_get(identity, namespace=action.project, name=name)
        if volume.capacity and not volume.growing:
            return f"Volume {name} has {volume.capacity} now."
        if time.monotonic() >= deadline:
            break
        time.sleep(1)
    said = f" ({'; '.join(volume.conditions)})" if volume.conditions else ""
    return (
        f"The cluster took {size} for {name}; its capacity is still {volume.capacity or 'unknown'} "
        f"until the storage provider grows it{said}. The volume's page shows when it has."
    )


@action_task("volume.delete")
def volume_delete(action: Action) -> str:
    params = action.parameters
    detached = cluster_storage.volume_delete(
        action_identity(action),
        namespace=action.project,
        name=params["name"],
        detach=bool(params.get("detach")),
    )
    suffix = f" after detaching it from {', '.join(detached)}" if detached else ""
    return f"Volume {params['name']} deleted{suffix}."
