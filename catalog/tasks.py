"""Making a template's objects, run by the worker as the person who asked."""

from __future__ import annotations

from actions.models import Action
from actions.services import action_update
from actions.tasks import ActionFailed, action_identity, action_task
from catalog import cluster as cluster_catalog
from kube import ClusterError, Conflict


def _label(obj: dict) -> str:
    return f"{obj['kind']} {obj['metadata']['name']}"


@action_task("template.instantiate")
def template_instantiate(action: Action) -> str:
    """Create each object in order. Each carries this action's id, so an attempt taken over
    after a worker died knows the objects it made already (and nobody else's)."""
    identity = action_identity(action)
    objects = action.parameters["objects"]
    made: list[str] = []
    for index, obj in enumerate(objects):
        metadata = obj.setdefault("metadata", {})
        metadata["namespace"] = action.project
        metadata["annotations"] = {
            **(metadata.get("annotations") or {}),
            cluster_catalog.TEMPLATE_ANNOTATION: str(action.pk),
        }
        label = _label(obj)
        try:
            resource = cluster_catalog.resource_for(obj["apiVersion"], obj["kind"])
            try:
                cluster_catalog.object_create(
                    identity, resource=resource, namespace=action.project, body=obj, dry_run=False
                )
            except Conflict:
                existing = cluster_catalog.object_read(
                    identity, resource=resource, namespace=action.project, name=metadata["name"]
                )
                made_by = (existing.get("metadata", {}).get("annotations") or {}).get(
                    cluster_catalog.TEMPLATE_ANNOTATION
                )
                if made_by != str(action.pk):
                    raise ActionFailed(f"{label} exists already") from None
        except (ActionFailed, ClusterError) as exc:
            left = [_label(o) for o in objects[index:]]
            done = f"Made {', '.join(made)}. " if made else "Made nothing. "
            raise ActionFailed(f"{done}Not made: {', '.join(left)} — {label}: {exc}") from None
        made.append(label)
        action_update(
            action=action, progress=round(100 * (index + 1) / len(objects)), message=f"Made {label}."
        )
    message = action.parameters.get("message", "")
    return f"Made {', '.join(made)}." + (f" {message}" if message else "")
