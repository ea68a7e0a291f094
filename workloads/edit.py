"""Editing a deployment from a form (pure): what the form starts from, what it changes.

The form edits one container's image, command, plain environment values and resources,
and the replicas. Everything else of the object stays as it is: other containers,
environment values taken from Secrets or ConfigMaps, probes, volumes, labels.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

from workloads.diff import Change, template_diff

# form field -> (resources section, resource name)
RESOURCES = {
    "cpu_request": ("requests", "cpu"),
    "cpu_limit": ("limits", "cpu"),
    "memory_request": ("requests", "memory"),
    "memory_limit": ("limits", "memory"),
}


@dataclass(frozen=True)
class Edit:
    container: str
    image: str
    args: tuple[str, ...]  # empty: the image's own command
    env: dict[str, str]  # the plain values; values from Secrets or ConfigMaps are kept
    resources: dict[str, str]  # RESOURCES' keys -> a quantity, or "" for none
    replicas: int

    def to_dict(self) -> dict:
        return {**asdict(self), "args": list(self.args)}

    @classmethod
    def from_dict(cls, data: dict) -> Edit:
        return cls(**{**data, "args": tuple(data["args"])})


def containers(deployment: dict) -> list[dict]:
    return deployment["spec"]["template"]["spec"]["containers"]


def initial(deployment: dict, container: str | None = None) -> dict:
    """The form's starting values: the deployment as it is (its first container by default)."""
    chosen = next((c for c in containers(deployment) if c["name"] == container), containers(deployment)[0])
    resources = chosen.get("resources") or {}
    return {
        "container": chosen["name"],
        "image": chosen.get("image", ""),
        "args": list(chosen.get("args") or []),
        "env": {e["name"]: e.get("value", "") for e in chosen.get("env") or [] if "valueFrom" not in e},
        "resources": {
            key: str((resources.get(section) or {}).get(name, ""))
            for key, (section, name) in RESOURCES.items()
        },
        "replicas": deployment["spec"].get("replicas", 1),
        "generation": deployment["metadata"].get("generation", 0),
    }


def referenced_env(deployment: dict, container: str) -> list[str]:
    """The container's environment values the form leaves alone (from Secrets, ConfigMaps, fields)."""
    chosen = next((c for c in containers(deployment) if c["name"] == container), {})
    return [e["name"] for e in chosen.get("env") or [] if "valueFrom" in e]


def edited(deployment: dict, edit: Edit) -> dict:
    """The deployment with ``edit`` applied; ValueError when its container is gone."""
    result = copy.deepcopy(deployment)
    target = next((c for c in containers(result) if c["name"] == edit.container), None)
    if target is None:
        raise ValueError(f"The deployment has no container named {edit.container} any more.")
    target["image"] = edit.image
    if edit.args:
        target["args"] = list(edit.args)
    else:
        target.pop("args", None)
    env, seen = [], set()
    for entry in target.get("env") or []:
        if "valueFrom" in entry:
            env.append(entry)  # the form does not show these: kept where they were
        elif entry["name"] in edit.env:
            env.append({"name": entry["name"], "value": edit.env[entry["name"]]})
            seen.add(entry["name"])
    env += [{"name": k, "value": v} for k, v in edit.env.items() if k not in seen]
    if env:
        target["env"] = env
    else:
        target.pop("env", None)
    resources = copy.deepcopy(target.get("resources") or {})
    for key, (section, name) in RESOURCES.items():
        values = resources.setdefault(section, {})
        if edit.resources.get(key):
            values[name] = edit.resources[key]
        else:
            values.pop(name, None)
        if not values:
            resources.pop(section)
    if resources:
        target["resources"] = resources
    else:
        target.pop("resources", None)
    result["spec"]["replicas"] = edit.replicas
    return result


def changes(before: dict, after: dict) -> list[Change]:
    """What applying ``after`` changes: the pod template's diff, and the replicas."""
    found = template_diff(before["spec"]["template"], after["spec"]["template"])
    old, new = before["spec"].get("replicas", 1), after["spec"].get("replicas", 1)
    if old != new:
        found.append(Change("deployment", "replicas", str(old), str(new)))
    return found
