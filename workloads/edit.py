"""Editing a deployment from a form (pure): what the form starts from, what it changes.

The form edits one container's image, command, plain environment values, the Secrets and
ConfigMaps whose keys become its environment (``envFrom``), its HTTP readiness and
liveness probes and resources, and the deployment's replicas and strategy. Everything
else of the object stays as it is: other containers, single values taken from Secrets or
ConfigMaps, probes of another kind (exec, TCP), a probe's timings, volumes, labels.
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
    # None: not in the edit (an action queued before these existed): kept as they are.
    env_from: tuple[str, ...] | None = None  # "secret:NAME", "configmap:NAME"
    readiness_path: str | None = None  # an HTTP GET probe's path; "" for none
    liveness_path: str | None = None
    probe_port: str = ""  # the probes' port: a number, or the container port's name
    strategy: str = ""  # RollingUpdate or Recreate; "" keeps it

    def to_dict(self) -> dict:
        data = {**asdict(self), "args": list(self.args)}
        if self.env_from is not None:
            data["env_from"] = list(self.env_from)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Edit:
        env_from = data.get("env_from")
        return cls(
            **{**data, "args": tuple(data["args"]), "env_from": None if env_from is None else tuple(env_from)}
        )


PROBES = (("readinessProbe", "readiness_path"), ("livenessProbe", "liveness_path"))
_SOURCES = (("secret", "secretRef"), ("configmap", "configMapRef"))


def env_from_ref(entry: dict) -> str | None:
    """``secret:NAME`` or ``configmap:NAME`` for an envFrom entry the form shows; None for
    one it leaves alone (a prefix, an optional source)."""
    if entry.get("prefix"):
        return None
    for kind, key in _SOURCES:
        source = entry.get(key)
        if source and not source.get("optional"):
            return f"{kind}:{source.get('name', '')}"
    return None


def _env_from_entry(ref: str) -> dict:
    kind, name = ref.split(":", 1)
    return {dict(_SOURCES)[kind]: {"name": name}}


def _http_probe(container: dict, key: str) -> dict | None:
    return (container.get(key) or {}).get("httpGet")


def probe_port_default(container: dict) -> str:
    """The port the form's probes use: an HTTP probe's, or the container's first."""
    for key, _field in PROBES:
        http = _http_probe(container, key)
        if http and http.get("port") not in (None, ""):
            return str(http["port"])
    ports = container.get("ports") or []
    return str(ports[0]["containerPort"]) if ports else ""


def other_probes(deployment: dict, container: str) -> list[str]:
    """The container's probes the form can't show (exec, TCP, gRPC): kept unless replaced."""
    chosen = next((c for c in containers(deployment) if c["name"] == container), {})
    return [key for key, _field in PROBES if chosen.get(key) and not _http_probe(chosen, key)]


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
        "env_from": [ref for ref in map(env_from_ref, chosen.get("envFrom") or []) if ref],
        **{field: (_http_probe(chosen, key) or {}).get("path", "") for key, field in PROBES},
        "probe_port": probe_port_default(chosen),
        "strategy": (deployment["spec"].get("strategy") or {}).get("type", "RollingUpdate"),
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
    if edit.env_from is not None:
        _set_env_from(target, edit.env_from)
    for key, field in PROBES:
        path = getattr(edit, field)
        if path is not None:
            _set_probe(target, key, path, edit.probe_port)
    result["spec"]["replicas"] = edit.replicas
    if edit.strategy and edit.strategy != (result["spec"].get("strategy") or {}).get("type", "RollingUpdate"):
        result["spec"]["strategy"] = {"type": edit.strategy}  # Recreate takes no rollingUpdate
    return result


def _set_env_from(target: dict, wanted: tuple[str, ...]) -> None:
    kept, present = [], set()
    for entry in target.get("envFrom") or []:
        ref = env_from_ref(entry)
        if ref is None or ref in wanted:  # one the form doesn't show is kept
            kept.append(entry)
            present.add(ref)
    kept += [_env_from_entry(ref) for ref in wanted if ref not in present]
    if kept:
        target["envFrom"] = kept
    else:
        target.pop("envFrom", None)


def _set_probe(target: dict, key: str, path: str, port: str) -> None:
    current = target.get(key) or {}
    if not path:
        if current.get("httpGet"):
            target.pop(key)
        return  # none, or one of another kind the form doesn't show: kept
    port_value: int | str = int(port) if port.isdigit() else port
    http = current.get("httpGet") or {}
    if http.get("path") == path and str(http.get("port")) == str(port_value):
        return  # unchanged: its timings and scheme stay
    probe = {k: v for k, v in current.items() if k not in ("httpGet", "exec", "tcpSocket", "grpc")}
    probe["httpGet"] = {
        **{k: v for k, v in http.items() if k not in ("path", "port")},
        "path": path,
        "port": port_value,
    }
    target[key] = probe


def changes(before: dict, after: dict) -> list[Change]:
    """What applying ``after`` changes: the pod template's diff, the replicas and strategy."""
    found = template_diff(before["spec"]["template"], after["spec"]["template"])
    old, new = before["spec"].get("replicas", 1), after["spec"].get("replicas", 1)
    if old != new:
        found.append(Change("deployment", "replicas", str(old), str(new)))
    old, new = ((d["spec"].get("strategy") or {}).get("type", "RollingUpdate") for d in (before, after))
    if old != new:
        found.append(Change("deployment", "strategy", old, new))
    return found
