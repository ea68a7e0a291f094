"""Instantiating a template into a project: checked whole first, then made as one action.

Before anything is queued, every object of the processed template is checked: it names no
other namespace, the cluster serves its kind (a namespaced one), and the API server's dry
run *as the person* accepts it — names, values, RBAC, quota, and "exists already". So a
refusal lists every object's problem and nothing is half-made; the action then creates the
objects in the template's order, a line of progress each.
"""

from __future__ import annotations

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_start
from catalog import cluster as cluster_catalog
from catalog.processing import Processed, TemplateError, template_process, template_read
from kube import ClusterError, Conflict, identity_for_user
from projects.access import require_role


def _label(obj: dict) -> str:
    return f"{obj.get('kind', '?')} {(obj.get('metadata') or {}).get('name', '?')}"


def template_check(*, user, project, processed: Processed) -> list[str]:
    """What stops ``processed`` from being made in ``project`` as ``user``: a line an
    object, empty when all is well."""
    problems = []
    identity = identity_for_user(user)
    for obj in processed.objects:
        label = _label(obj)
        namespace = (obj.get("metadata") or {}).get("namespace")
        if namespace and namespace != project.name:
            problems.append(
                f"{label} names the namespace {namespace}: a template makes objects only in {project.name}."
            )
            continue
        try:
            resource = cluster_catalog.resource_for(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        except ClusterError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if not resource.namespaced:
            problems.append(f"{label} is not an object of a project (it is cluster-wide).")
            continue
        body = {**obj, "metadata": {**(obj.get("metadata") or {}), "namespace": project.name}}
        try:
            cluster_catalog.object_create(
                identity, resource=resource, namespace=project.name, body=body, dry_run=True
            )
        except Conflict:
            problems.append(f"{label} exists already in {project.name}.")
        except ClusterError as exc:
            problems.append(f"{label}: {exc}")
    return problems


def template_instantiate(*, user, project, text: str, values: dict[str, str]) -> Action:
    """Process the template ``text`` with ``values`` and queue its objects' creation."""
    require_role(project, "edit", "Deploying a template")
    try:
        template = template_read(text)
        processed = template_process(template, values)
    except TemplateError as exc:
        raise Refused(str(exc), field=exc.field or None) from None
    if not processed.objects:
        raise Refused("The template makes no objects.")
    problems = template_check(user=user, project=project, processed=processed)
    if problems:
        raise Refused("Nothing was made: " + " ".join(problems))
    return action_start(
        kind="template.instantiate",
        user=user,
        project=project.name,
        target=f"template/{template.name}",
        parameters={"template": template.name, "objects": processed.objects, "message": processed.message},
    )
