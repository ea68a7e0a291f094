"""Writes on Secrets and ConfigMaps: each change is an action as the person; revealing a
Secret's value is recorded in the project's activity."""

from __future__ import annotations

import base64

from django.urls import reverse

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_record, action_start
from configs import cluster as cluster_configs
from kube import identity_for_user
from projects.access import require_role


def _url(project, kind: str, name: str) -> str:
    return reverse("configs:detail", kwargs={"name": project.name, "kind": kind, "item": name})


def _label(kind: str) -> str:
    return "Secret" if kind == "secret" else "ConfigMap"


def config_create(*, user, project, kind: str, name: str, data: dict[str, bytes], type_: str = "") -> Action:
    require_role(project, "edit", f"Creating a {_label(kind)}")
    existing = cluster_configs.config_list(identity_for_user(user), namespace=project.name, kind=kind)
    if name in {o.name for o in existing}:
        raise Refused(f"A {_label(kind)} named {name} exists already in this project.", field="name")
    return action_start(
        kind=f"{kind}.create",
        user=user,
        project=project.name,
        target=f"{kind}/{name}",
        parameters={
            "kind": kind,
            "name": name,
            "type": type_,
            # base64: an action's parameters are JSON, and a value may be a binary file.
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
            "next": _url(project, kind, name),
        },
    )


def config_set(*, user, project, kind: str, name: str, key: str, value: bytes) -> Action:
    require_role(project, "edit", f"Changing a {_label(kind)}")
    return action_start(
        kind=f"{kind}.set",
        user=user,
        project=project.name,
        target=f"{kind}/{name}",
        parameters={
            "kind": kind,
            "name": name,
            "key": key,
            "value": base64.b64encode(value).decode(),
            "next": _url(project, kind, name),
        },
    )


def config_remove(*, user, project, kind: str, name: str, key: str) -> Action:
    require_role(project, "edit", f"Changing a {_label(kind)}")
    return action_start(
        kind=f"{kind}.remove",
        user=user,
        project=project.name,
        target=f"{kind}/{name}",
        parameters={"kind": kind, "name": name, "key": key, "next": _url(project, kind, name)},
    )


def config_delete(*, user, project, kind: str, name: str) -> Action:
    require_role(project, "edit", f"Deleting a {_label(kind)}")
    return action_start(
        kind=f"{kind}.delete",
        user=user,
        project=project.name,
        target=f"{kind}/{name}",
        parameters={
            "kind": kind,
            "name": name,
            "next": reverse("configs:list", kwargs={"name": project.name}),
        },
    )


def secret_reveal(*, user, project, name: str, key: str) -> str:
    """One value of a Secret, read as the person (edit role), and who saw it recorded."""
    require_role(project, "edit", "Revealing a secret's value")
    secret = cluster_configs.config_get(
        identity_for_user(user), namespace=project.name, kind="secret", name=name, values=True
    )
    if key not in secret.values:
        raise Refused(f"The Secret {name} has no key {key}.")
    action_record(
        kind="secret.reveal",
        user=user,
        project=project.name,
        target=f"secret/{name}",
        message=f"{user.get_username()} revealed the value of {key} in the Secret {name}.",
    )
    return secret.values[key]
