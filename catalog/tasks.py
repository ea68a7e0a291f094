"""Making a template's objects, run by the worker as the person who asked."""

from __future__ import annotations

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_update
from actions.tasks import ActionFailed, action_identity, action_task
from builds import services as build_services
from builds.models import BuildConfig
from catalog import cluster as cluster_catalog
from catalog import openshift
from kube import ClusterError, Conflict, Identity
from networking import hosts
from networking.cluster import RouteSpec
from projects import selectors as project_selectors


def _label(obj: dict) -> str:
    return f"{obj['kind']} {obj['metadata']['name']}"


def _failed(made: list[str], left: list[dict], label: str, exc: Exception) -> ActionFailed:
    done = f"Made {', '.join(made)}. " if made else "Made nothing. "
    return ActionFailed(f"{done}Not made: {', '.join(_label(o) for o in left)} — {label}: {exc}")


def _create(action: Action, identity: Identity, obj: dict, label: str) -> None:
    """Create ``obj`` as the person, its hosts claimed first (as the Routes page claims
    them); one this action made already (an earlier attempt) is kept, anyone else's is an
    error."""
    resource = cluster_catalog.resource_for(obj["apiVersion"], obj["kind"])
    name = obj["metadata"]["name"]
    claimed = openshift.hosts_of(obj)
    for host in claimed:
        hosts.claim(namespace=action.project, name=name, host=host)
    try:
        cluster_catalog.object_create(
            identity, resource=resource, namespace=action.project, body=obj, dry_run=False
        )
    except Conflict:
        existing = cluster_catalog.object_read(
            identity, resource=resource, namespace=action.project, name=name
        )
        made_by = (existing.get("metadata", {}).get("annotations") or {}).get(
            cluster_catalog.TEMPLATE_ANNOTATION
        )
        if made_by != str(action.pk):
            raise ActionFailed(f"{label} exists already") from None
    except ClusterError:
        if claimed:
            hosts.release(namespace=action.project, name=name)
        raise


def _build_config(action: Action, obj: dict, label: str) -> None:
    """Make the Berth build config a BuildConfig asked for, with the template's webhook
    secrets, and start its first build (at once if it builds on a config change)."""
    name = obj["metadata"]["name"]
    existing = BuildConfig.objects.filter(project=action.project, name=name).first()
    if existing is not None:
        if existing.created_at >= action.created_at and existing.updated_by_id == action.requested_by_id:
            return  # an earlier attempt of this action made it
        raise ActionFailed(f"{label} exists already")
    project = project_selectors.project_get(user=action.requested_by, name=action.project)
    try:
        config = build_services.build_config_create(
            user=action.requested_by, project=project, name=name, data=obj["config"]
        )
        if obj.get("secrets"):
            BuildConfig.objects.filter(pk=config.pk).update(**obj["secrets"])
        if not config.trigger_config_change:
            build_services.build_start(user=action.requested_by, config=config, project=project)
    except build_services.BuildLimitReached:
        pass  # made; its first build waits for one of the project's to finish
    except Refused as exc:
        raise ActionFailed(str(exc)) from None


@action_task("template.instantiate")
def template_instantiate(action: Action) -> str:
    """Create each object in order. Each carries this action's id, so an attempt taken over
    after a worker died knows the objects it made already (and nobody else's)."""
    identity = action_identity(action)
    objects = action.parameters["objects"]
    made: list[str] = []
    for index, obj in enumerate(objects):
        metadata = obj.setdefault("metadata", {})
        label = _label(obj)
        try:
            if openshift.planned_as(obj, openshift.MAPPED_STREAM):
                pass  # the project's repository in the integrated registry: nothing to make
            elif openshift.planned_as(obj, openshift.MAPPED_BUILD):
                _build_config(action, obj, label)
            elif openshift.planned_as(obj, openshift.MAPPED_ROUTE):
                # Made as the Routes page makes one: its host claimed, an identical one kept.
                spec = RouteSpec.from_values(obj["route"])
                hosts.route_create(identity, namespace=action.project, spec=spec)
            else:
                metadata["namespace"] = action.project
                metadata["annotations"] = {
                    **(metadata.get("annotations") or {}),
                    cluster_catalog.TEMPLATE_ANNOTATION: str(action.pk),
                }
                _create(action, identity, obj, label)
        except (ActionFailed, ClusterError, hosts.HostTaken) as exc:
            raise _failed(made, objects[index:], label, exc) from None
        made.append(label)
        action_update(
            action=action, progress=round(100 * (index + 1) / len(objects)), message=f"Made {label}."
        )
    # Not the template's message: it may hold generated passwords, and an action's message is
    # the project's to read. Its result page shows it to whoever asked (catalog.selectors).
    return f"Made {', '.join(made)}."
