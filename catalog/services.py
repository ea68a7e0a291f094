"""Instantiating a template into a project: checked whole first, then made as one action.

Before anything is queued, every object of the processed template is checked: it names no
other namespace, the cluster serves its kind (a namespaced one), a route's hosts pass the
Routes page's rules, and the API server's dry run *as the person* accepts it — names,
values, RBAC, quota, and "exists already". So a refusal lists every object's problem and
nothing is half-made; the action then creates the objects in the template's order, a line
of progress each. OpenShift's own kinds become what Berth has where the cluster serves
none (catalog.openshift).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_record, action_start
from builds import services as build_services
from builds.models import BuildConfig
from catalog import cluster as cluster_catalog
from catalog import openshift, selectors
from catalog.images import catalog_image
from catalog.models import ProjectTemplate
from catalog.processing import Processed, TemplateError, template_process, template_read
from console.validators import DNS_LABEL, DNS_SUBDOMAIN
from kube import ClusterError, Conflict, identity_for_user
from kube.client import api_group_served
from networking import cluster as cluster_networking
from networking.services import apps_domain_problem
from projects.access import require_role


def _name(obj: dict) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _label(obj: dict) -> str:
    return f"{obj.get('kind', '?')} {_name(obj) or '?'}"


def template_plan(*, user, project, processed: Processed) -> tuple[list[dict], list[str]]:
    """What the action will make of ``processed`` in ``project`` as ``user`` (OpenShift's
    own kinds as what Berth has, where the cluster serves none), and what stops it: a line
    an object, none when all is well."""
    planned, problems = [], []
    identity = identity_for_user(user)
    routes_served = cluster_networking.openshift_routes_available()
    built = openshift.built_stream_tags(processed.objects, project=project.name)
    for obj in processed.objects:
        label = _label(obj)
        if not (obj.get("apiVersion") and obj.get("kind") and _name(obj)):
            problems.append(f"{label}: every object of a template needs an apiVersion, a kind and a name.")
            continue
        namespace = (obj.get("metadata") or {}).get("namespace")
        if namespace and namespace != project.name:
            problems.append(
                f"{label} names the namespace {namespace}: a template makes objects only in {project.name}."
            )
            continue
        if openshift.is_image_stream(obj) and not api_group_served("image.openshift.io"):
            planned.append({**openshift.MAPPED_STREAM, "metadata": {"name": _name(obj)}})
            continue
        if openshift.is_build_config(obj) and not api_group_served("build.openshift.io"):
            planned.append(_build_config_plan(obj, project=project, label=label, problems=problems))
            continue
        if openshift.is_deployment_config(obj) and not api_group_served("apps.openshift.io"):
            obj, mapped = openshift.deployment_from_config(
                obj,
                project=project.name,
                registry=settings.BERTH_BUILD_REGISTRY,
                resolve=catalog_image,
                built=built,
            )
            problems += [f"{label}: {problem}" for problem in mapped]
            planned.append(obj)
        elif openshift.is_route(obj) and not routes_served:
            spec = openshift.route_spec(obj, project=project.name, objects=processed.objects)
            if not (spec.service and spec.port):
                problems.append(
                    f"{label}: name its Service in spec.to and, unless the template has that "
                    "Service, the port in spec.port.targetPort."
                )
                continue
            problems += _host_problems(label, project, [spec.host], spec.name)
            obj = cluster_networking.ingress_body(spec)  # checked as the Ingress it becomes
            planned.append(
                {**openshift.MAPPED_ROUTE, "metadata": {"name": spec.name}, "route": spec.as_values()}
            )
        else:
            planned.append(obj)
            problems += _host_problems(label, project, openshift.hosts_of(obj), _name(obj))
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
    return planned, problems


def _build_config_plan(obj: dict, *, project, label: str, problems: list[str]) -> dict:
    """A BuildConfig as the Berth build config the action makes (its problems added)."""
    data, secrets, mapped = openshift.build_config_data(
        obj, project=project.name, registry=settings.BERTH_BUILD_REGISTRY, resolve=catalog_image
    )
    problems += [f"{label}: {problem}" for problem in mapped]
    name = _name(obj)
    if not DNS_LABEL.match(name) or len(name) > 50:
        problems.append(f"{label}: a build config's name is a DNS label of at most 50 characters.")
    elif BuildConfig.objects.filter(project=project.name, name=name).exists():
        problems.append(f"{label}: a build config named {name} exists already in {project.name}.")
    if not mapped:
        try:
            build_services.check_config(data, project=project.name)
        except Refused as exc:
            problems.append(f"{label}: {exc}")
    return {**openshift.MAPPED_BUILD, "metadata": {"name": name}, "config": data, "secrets": secrets}


def _host_problems(label: str, project, hosts: list[str], name: str) -> list[str]:
    """The Routes page's rules for every host a template's route asks for."""
    found = []
    for host in hosts:
        message = apps_domain_problem(project=project.name, host=host, route=name)
        message = message or cluster_networking.host_taken_message(host, namespace=project.name, name=name)
        if message:
            found.append(f"{label}: {message}")
    return found


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
    planned, problems = template_plan(user=user, project=project, processed=processed)
    if problems:
        raise Refused("Nothing was made: " + " ".join(problems))
    # One transaction: the task is sent once it commits, so its worker (which may finish
    # in a fraction of a second) reads the action with the page it goes on to.
    with transaction.atomic():
        action = action_start(
            kind="template.instantiate",
            user=user,
            project=project.name,
            target=f"template/{template.name}",
            parameters={"template": template.name, "objects": planned, "message": processed.message},
        )
        # Where the action's page goes once it succeeds: what was made, and (for whoever
        # asked) the template's message.
        action.parameters["next"] = reverse(
            "catalog:result", kwargs={"name": project.name, "action": action.pk}
        )
        action.save(update_fields=["parameters"])
    return action


def _catalog(for_every_project: bool) -> str:
    return "the catalog of every project" if for_every_project else "the project's catalog"


def template_save(*, user, project, text: str, for_every_project: bool = False) -> ProjectTemplate:
    """Keep a template in the project's catalog (by its name), to deploy it again; or, for
    a cluster administrator, in the catalog of every project."""
    require_role(project, "edit", "Saving a template")
    if for_every_project:
        require_cluster_admin(user, "Adding a template for every project")
    try:
        template = template_read(text)
    except TemplateError as exc:
        raise Refused(str(exc), field="text") from None
    if not DNS_SUBDOMAIN.match(template.name) or len(template.name) > 253:
        raise Refused(f"Its metadata.name {template.name!r} is not a Kubernetes name.", field="text")
    limit = settings.BERTH_TEMPLATES_PER_PROJECT
    where = "" if for_every_project else project.name
    kept = ProjectTemplate.objects.filter(project=where)
    if kept.filter(name=template.name).exists():
        raise Refused(f"A template named {template.name} is saved already: delete it first.", field="text")
    if kept.count() >= limit:
        raise Refused(
            f"{'The cluster' if for_every_project else project.name} keeps {limit} templates, the most "
            f"a catalog may (BERTH_TEMPLATES_PER_PROJECT): delete one first.",
            field="text",
        )
    saved = ProjectTemplate.objects.create(
        project=where,
        name=template.name,
        display_name=template.display_name[:500],
        description=template.description,
        text=text,
        saved_by=user,
        saved_by_name=user.get_username(),
    )
    action_record(
        kind="template.save",
        user=user,
        project=project.name,
        target=f"template/{template.name}",
        message=f"Saved the template {template.name} in {_catalog(for_every_project)}.",
    )
    return saved


def require_cluster_admin(user, what: str) -> None:
    """Refuse, with a message fit to show, anyone the cluster does not treat as its
    administrator (one it lets create ResourceQuotas everywhere, as for custom quotas)."""
    if not selectors.is_cluster_admin(user=user):
        raise Refused(f"{what} is for cluster administrators.")


def template_delete(*, user, project, name: str, for_every_project: bool = False) -> None:
    require_role(project, "edit", "Deleting a template")
    if for_every_project:
        require_cluster_admin(user, "Deleting a template of every project")
    where = "" if for_every_project else project.name
    deleted, _ = ProjectTemplate.objects.filter(project=where, name=name).delete()
    if deleted:
        action_record(
            kind="template.delete",
            user=user,
            project=project.name,
            target=f"template/{name}",
            message=f"Deleted the template {name} from {_catalog(for_every_project)}.",
        )
