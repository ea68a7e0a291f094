"""What a rollback changes: a readable diff of two pod templates (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    where: str  # "container web", "pod"
    what: str  # "image", "env FOO", "resources", "command", "args", "volumes"
    before: str
    after: str


# A container's fields a diff names, with what it calls them.
CONTAINER_FIELDS = (
    ("image", "image"),
    ("command", "command"),
    ("args", "args"),
    ("resources", "resources"),
    ("envFrom", "env from"),
    ("readinessProbe", "readiness probe"),
    ("livenessProbe", "liveness probe"),
)


def _show(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def template_diff(current: dict, target: dict) -> list[Change]:
    """Changes from ``current`` to ``target`` in images, env, resources, command/args, probes
    and volumes."""
    changes: list[Change] = []
    cur_spec, tgt_spec = current.get("spec") or {}, target.get("spec") or {}
    cur_containers = {c["name"]: c for c in cur_spec.get("containers") or []}
    tgt_containers = {c["name"]: c for c in tgt_spec.get("containers") or []}
    for name in sorted(cur_containers.keys() | tgt_containers.keys()):
        where = f"container {name}"
        before, after = cur_containers.get(name), tgt_containers.get(name)
        if before is None or after is None:
            changes.append(
                Change(
                    where,
                    "container",
                    "absent" if before is None else "present",
                    "absent" if after is None else "present",
                )
            )
            continue
        for field, what in CONTAINER_FIELDS:
            if (before.get(field) or None) != (after.get(field) or None):
                changes.append(Change(where, what, _show(before.get(field)), _show(after.get(field))))
        env_before = {e["name"]: e.get("value", _show(e.get("valueFrom"))) for e in before.get("env") or []}
        env_after = {e["name"]: e.get("value", _show(e.get("valueFrom"))) for e in after.get("env") or []}
        for key in sorted(env_before.keys() | env_after.keys()):
            if env_before.get(key) != env_after.get(key):
                changes.append(
                    Change(where, f"env {key}", _show(env_before.get(key)), _show(env_after.get(key)))
                )
        if (before.get("volumeMounts") or None) != (after.get("volumeMounts") or None):
            changes.append(
                Change(
                    where,
                    "volume mounts",
                    _show(before.get("volumeMounts")),
                    _show(after.get("volumeMounts")),
                )
            )
    if (cur_spec.get("volumes") or None) != (tgt_spec.get("volumes") or None):
        changes.append(
            Change("pod", "volumes", _show(cur_spec.get("volumes")), _show(tgt_spec.get("volumes")))
        )
    return changes
