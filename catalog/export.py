"""A project's objects as a template, the other way round: one project's setup, reusable in
another. Pure: the objects as the cluster gave them in, an OpenShift template out.

What the cluster adds (status, ids, versions, managed fields, addresses it assigned, its
own annotations) is left out; every object's name becomes a parameter (its value the
name), and every string equal to one of those names (a Service's selector, a claim, a
ConfigMap reference) refers to that parameter, so the copy can be renamed as a whole.
"""

from __future__ import annotations

import re

from objects.yamltext import shown

DROPPED_METADATA = (
    "namespace", "uid", "resourceVersion", "creationTimestamp", "generation",
    "ownerReferences", "finalizers", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
)  # fmt: skip
DROPPED_ANNOTATIONS = re.compile(
    r"^(deployment\.kubernetes\.io/|kubectl\.kubernetes\.io/|pv\.kubernetes\.io/|"
    r"volume\.beta\.kubernetes\.io/|volume\.kubernetes\.io/|berth\.io/)"
)
DROPPED_SERVICE_SPEC = ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy")


def _metadata(metadata: dict) -> dict:
    kept = {k: v for k, v in metadata.items() if k not in DROPPED_METADATA}
    annotations = {
        k: v for k, v in (kept.get("annotations") or {}).items() if not DROPPED_ANNOTATIONS.match(k)
    }
    if annotations:
        kept["annotations"] = annotations
    else:
        kept.pop("annotations", None)
    return kept


def _cleaned(obj: dict) -> dict:
    obj = shown(obj)  # as the YAML editor shows it (no status, no managed fields), a copy
    obj["metadata"] = _metadata(obj.get("metadata") or {})
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Service":
        for key in DROPPED_SERVICE_SPEC:
            spec.pop(key, None)
    if obj.get("kind") == "PersistentVolumeClaim":
        spec.pop("volumeName", None)
    template = spec.get("template") if isinstance(spec.get("template"), dict) else None
    if template is not None:
        template["metadata"] = _metadata(template.get("metadata") or {})
    return obj


def _parameter_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") + "_NAME"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _referring(value, names: dict[str, str]):
    if isinstance(value, dict):
        return {k: _referring(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_referring(v, names) for v in value]
    if isinstance(value, str) and value in names:
        return "${" + names[value] + "}"
    return value


def template_export(objects: list[dict], *, name: str, description: str = "") -> dict:
    """The template that makes ``objects`` again, their names as parameters."""
    cleaned = [_cleaned(o) for o in objects]
    taken: set[str] = set()
    names: dict[str, str] = {}
    for obj in cleaned:
        object_name = obj["metadata"].get("name", "")
        if object_name and object_name not in names:
            names[object_name] = _parameter_name(object_name, taken)
    parameters = [
        {"name": parameter, "displayName": f"Name for {object_name}", "required": True, "value": object_name}
        for object_name, parameter in names.items()
    ]
    return {
        "kind": "Template",
        "apiVersion": "template.openshift.io/v1",
        "metadata": {"name": name, "annotations": {"description": description}}
        if description
        else {"name": name},
        "objects": [_referring(o, names) for o in cleaned],
        "parameters": parameters,
    }
