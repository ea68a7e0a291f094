"""Secrets and ConfigMaps of a project, read and written as the person.

A Secret's values are read only to be revealed (``config_get(..., values=True)``);
the lists and pages otherwise carry its keys alone.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

from kube.client import MANAGED_BY, Identity, api, call
from kube.errors import NotFound

KINDS = ("secret", "configmap")
# Secrets the cluster or Berth make for themselves: listed, not edited here.
SYSTEM_SECRET_TYPES = ("kubernetes.io/service-account-token",)


@dataclass(frozen=True)
class ConfigObject:
    kind: str  # "secret" or "configmap"
    name: str
    keys: tuple[str, ...]
    type: str = ""  # a Secret's type
    created: datetime | None = None
    managed: bool = False  # made by Berth or the cluster, for itself
    values: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return "Secret" if self.kind == "secret" else "ConfigMap"


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"(binary, {len(raw)} bytes)"


def _object(kind: str, item, *, values: bool) -> ConfigObject:
    meta = item.metadata
    if kind == "secret":
        data = {k: base64.b64decode(v) for k, v in (item.data or {}).items()} if values else {}
        decoded = {k: _text(v) for k, v in data.items()}
        keys = tuple(sorted(item.data or {}))
        type_ = item.type or "Opaque"
    else:
        decoded = {}
        if values:
            decoded = dict(item.data or {})
            binary = {k: base64.b64decode(v) for k, v in (item.binary_data or {}).items()}
            decoded.update({k: _text(v) for k, v in binary.items()})
        keys = tuple(sorted({*(item.data or {}), *(item.binary_data or {})}))
        type_ = ""
    labels = meta.labels or {}
    return ConfigObject(
        kind=kind,
        name=meta.name,
        keys=keys,
        type=type_,
        created=meta.creation_timestamp,
        managed=labels.get(MANAGED_BY[0]) == MANAGED_BY[1] or type_ in SYSTEM_SECRET_TYPES,
        values=decoded,
    )


def config_list(identity: Identity, *, namespace: str, kind: str) -> list[ConfigObject]:
    core = api(identity, "core")
    listed = call(
        core.list_namespaced_secret if kind == "secret" else core.list_namespaced_config_map, namespace
    )
    return sorted((_object(kind, item, values=False) for item in listed.items), key=lambda o: o.name)


def config_get(
    identity: Identity, *, namespace: str, kind: str, name: str, values: bool = False
) -> ConfigObject:
    core = api(identity, "core")
    read = core.read_namespaced_secret if kind == "secret" else core.read_namespaced_config_map
    return _object(kind, call(read, name, namespace), values=values)


def _encoded(kind: str, data: dict[str, bytes]) -> dict:
    if kind == "secret":
        return {"data": {k: base64.b64encode(v).decode() for k, v in data.items()}}
    text, binary = {}, {}
    for key, value in data.items():
        try:
            text[key] = value.decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(value).decode()
    return {"data": text, "binaryData": binary}


def config_create(
    identity: Identity, *, namespace: str, kind: str, name: str, data: dict[str, bytes], type_: str = ""
) -> None:
    core = api(identity, "core")
    body = {"metadata": {"name": name}, **_encoded(kind, data)}
    if kind == "secret":
        call(core.create_namespaced_secret, namespace, {**body, "type": type_ or "Opaque"})
    else:
        call(core.create_namespaced_config_map, namespace, body)


def config_set(identity: Identity, *, namespace: str, kind: str, name: str, key: str, value: bytes) -> None:
    """Set one key (a merge patch: the other keys stay)."""
    core = api(identity, "core")
    patch = _encoded(kind, {key: value})
    if kind == "configmap":  # a key moves between data and binaryData when its content does
        other = "binaryData" if key in patch["data"] else "data"
        patch[other] = {key: None}
    call(
        core.patch_namespaced_secret if kind == "secret" else core.patch_namespaced_config_map,
        name,
        namespace,
        patch,
    )


def config_remove(identity: Identity, *, namespace: str, kind: str, name: str, key: str) -> bool:
    """Remove one key; False when it was not there."""
    if key not in config_get(identity, namespace=namespace, kind=kind, name=name).keys:
        return False
    core = api(identity, "core")
    patch = {"data": {key: None}} if kind == "secret" else {"data": {key: None}, "binaryData": {key: None}}
    call(
        core.patch_namespaced_secret if kind == "secret" else core.patch_namespaced_config_map,
        name,
        namespace,
        patch,
    )
    return True


def config_delete(identity: Identity, *, namespace: str, kind: str, name: str) -> bool:
    core = api(identity, "core")
    try:
        call(
            core.delete_namespaced_secret if kind == "secret" else core.delete_namespaced_config_map,
            name,
            namespace,
        )
    except NotFound:
        return False
    return True
