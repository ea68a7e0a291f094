"""Secret and ConfigMap actions, run by the worker as the person who asked."""

from __future__ import annotations

import base64

from actions.models import Action
from actions.tasks import ActionFailed, action_identity, action_task
from configs import cluster as cluster_configs
from kube import Conflict, NotFound


def _label(kind: str) -> str:
    return "Secret" if kind == "secret" else "ConfigMap"


def _create(action: Action) -> str:
    params = action.parameters
    data = {k: base64.b64decode(v) for k, v in params["data"].items()}
    try:
        cluster_configs.config_create(
            action_identity(action),
            namespace=action.project,
            kind=params["kind"],
            name=params["name"],
            data=data,
            type_=params.get("type", ""),
        )
    except Conflict:
        raise ActionFailed(f"A {_label(params['kind'])} named {params['name']} exists already.") from None
    keys = f"{len(data)} key{'' if len(data) == 1 else 's'}"
    return f"{_label(params['kind'])} {params['name']} created with {keys}."


def _set(action: Action) -> str:
    params = action.parameters
    try:
        cluster_configs.config_set(
            action_identity(action),
            namespace=action.project,
            kind=params["kind"],
            name=params["name"],
            key=params["key"],
            value=base64.b64decode(params["value"]),
        )
    except NotFound:
        raise ActionFailed(f"The {_label(params['kind'])} {params['name']} no longer exists.") from None
    return f"Set {params['key']} in {params['name']}."


def _remove(action: Action) -> str:
    params = action.parameters
    try:
        removed = cluster_configs.config_remove(
            action_identity(action),
            namespace=action.project,
            kind=params["kind"],
            name=params["name"],
            key=params["key"],
        )
    except NotFound:
        raise ActionFailed(f"The {_label(params['kind'])} {params['name']} no longer exists.") from None
    return (
        f"Removed {params['key']} from {params['name']}." if removed else f"{params['key']} was already gone."
    )


def _delete(action: Action) -> str:
    params = action.parameters
    deleted = cluster_configs.config_delete(
        action_identity(action), namespace=action.project, kind=params["kind"], name=params["name"]
    )
    label = _label(params["kind"])
    return (
        f"Deleted the {label} {params['name']}."
        if deleted
        else f"The {label} {params['name']} was already gone."
    )


for _kind in cluster_configs.KINDS:
    action_task(f"{_kind}.create")(_create)
    action_task(f"{_kind}.set")(_set)
    action_task(f"{_kind}.remove")(_remove)
    action_task(f"{_kind}.delete")(_delete)
