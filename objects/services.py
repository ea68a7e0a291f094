"""Checking and applying an object's YAML as the person: a dry run first (the API server's
own validation, its errors at their lines, the diff), then the change as an action."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from actions.models import Action
from actions.services import action_start
from kube import Conflict, Forbidden, Invalid, identity_for_user
from objects import cluster as cluster_objects
from objects.cluster import Kind
from objects.yamltext import YamlError, diff, line_of, parse
from projects.access import require_role


@dataclass
class Check:
    body: dict | None = None
    errors: list[tuple[int | None, str]] = field(default_factory=list)  # (line, message)
    changes: str = ""  # a unified diff of what applying would change


def check(*, user, project, kind: Kind, name: str, text: str) -> Check:
    """What the cluster says of ``text`` as a new version of the object, without storing it."""
    require_role(project, "edit", "Editing YAML")
    try:
        body = parse(text)
    except YamlError as exc:
        return Check(errors=[(exc.line, str(exc))])
    expected = {
        "apiVersion": kind.api_version,
        "kind": kind.label,
        "metadata.name": name,
        "metadata.namespace": project.name,
    }
    found = {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata.name": (body.get("metadata") or {}).get("name"),
        "metadata.namespace": (body.get("metadata") or {}).get("namespace", project.name),
    }
    wrong = [
        (line_of(text, f), f"{f} must stay {v!r}: this page edits that object only.")
        for f, v in expected.items()
        if found[f] != v
    ]
    if wrong:
        return Check(body=body, errors=wrong)
    identity = identity_for_user(user)
    try:
        current = cluster_objects.object_get(identity, kind=kind, namespace=project.name, name=name)
        result = cluster_objects.object_replace(
            identity, kind=kind, namespace=project.name, name=name, body=body, dry_run=True
        )
    except Invalid as exc:
        errors = [(line_of(text, f), f"{f}: {m}") for f, m in exc.fields.items()]
        return Check(body=body, errors=errors or [(None, str(exc))])
    except Conflict:
        return Check(
            body=body,
            errors=[
                (
                    line_of(text, "metadata.resourceVersion"),
                    f"Someone else changed {name} since this copy was read: "
                    "reload the page to edit the current one.",
                )
            ],
        )
    except Forbidden as exc:
        return Check(body=body, errors=[(None, f"The cluster does not let you change it: {exc}")])
    return Check(body=body, changes=diff(current, result))


def apply(*, user, project, kind: Kind, name: str, body: dict) -> Action:
    require_role(project, "edit", "Editing YAML")
    return action_start(
        kind="object.replace",
        user=user,
        project=project.name,
        target=f"{kind.name}/{name}",
        parameters={
            "kind": kind.name,
            "name": name,
            "body": body,
            "next": reverse("objects:yaml", kwargs={"name": project.name, "kind": kind.name, "item": name}),
        },
    )
