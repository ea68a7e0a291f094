"""Applying an object's YAML, in the worker as the person who checked it."""

from __future__ import annotations

from actions.models import Action
from actions.tasks import ActionFailed, action_identity, action_task
from kube import Conflict, NotFound
from objects import cluster as cluster_objects
from objects.selectors import kinds


@action_task("object.replace")
def object_replace(action: Action) -> str:
    params = action.parameters
    kind = kinds()[params["kind"]]
    try:
        cluster_objects.object_replace(
            action_identity(action),
            kind=kind,
            namespace=action.project,
            name=params["name"],
            body=params["body"],
            dry_run=False,
        )
    except Conflict:
        raise ActionFailed(
            f"Someone else changed {params['name']} since you checked it; nothing was applied. "
            "Open its YAML again to see their change."
        ) from None
    except NotFound:
        raise ActionFailed(f"The {kind.label} {params['name']} no longer exists.") from None
    return f"Applied the YAML of {kind.label} {params['name']}."
