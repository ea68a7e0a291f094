"""Reads: what a template's action made in a project, each object with its Berth page."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from actions.models import Action
from catalog import cluster as cluster_catalog
from catalog.export import template_export
from catalog.models import ProjectTemplate
from catalog.processing import Template, template_read
from kube import ClusterError, identity_for_user
from projects import cluster as cluster_projects

BUNDLED = Path(__file__).resolve().parent / "bundled"
# On a bundled template: the name of its sample app (a repository of BERTH_SAMPLES_GIT_URL).
SAMPLE_ANNOTATION = "berth.io/sample-repository"

# A kind's page in Berth: (URL name, the URL's keyword for the object, or "" for a list).
PAGES = {
    "Deployment": ("workloads:deployment", "deployment"),
    "StatefulSet": ("workloads:statefulset", "statefulset"),
    "Job": ("workloads:job", "job"),
    "CronJob": ("workloads:cronjob", "cronjob"),
    "Pod": ("workloads:pod", "pod"),
    "Service": ("networking:service", "service"),
    "Route": ("networking:routes", ""),
    "Ingress": ("networking:routes", ""),
    "PersistentVolumeClaim": ("storage:volume", "volume"),
    "ConfigMap": ("configs:detail", "configmap"),
    "Secret": ("configs:detail", "secret"),
    "ImageStream": ("images:list", ""),
    "BuildConfig": ("builds:config", "config"),
}


@dataclass(frozen=True)
class Made:
    kind: str
    name: str
    url: str


def _url(project: str, kind: str, name: str) -> str:
    page = PAGES.get(kind)
    if page is None:
        return ""
    url_name, keyword = page
    kwargs = {"name": project}
    if url_name == "configs:detail":
        kwargs.update(kind=keyword, item=name)
    elif keyword:
        kwargs[keyword] = name
    try:
        return reverse(url_name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def template_result(*, user, project, pk: int) -> tuple[Action, list[Made], str] | None:
    """The template action ``pk`` of ``project``: what it made (each with its page) and the
    template's message — which may hold generated passwords, so only for whoever asked."""
    action = Action.objects.filter(pk=pk, project=project.name, kind="template.instantiate").first()
    if action is None:
        return None
    made = [
        Made(o["kind"], o["metadata"]["name"], _url(project.name, o["kind"], o["metadata"]["name"]))
        for o in action.parameters.get("objects", [])
    ]
    message = action.parameters.get("message", "") if action.requested_by_id == user.pk else ""
    return action, made, message


def template_list(*, project) -> list[ProjectTemplate]:
    """The templates saved in ``project`` (its members' catalog); ``project`` None: those
    of every project (cluster administrators')."""
    return list(ProjectTemplate.objects.filter(project=project.name if project else "").defer("text"))


def template_get(*, project, name: str) -> ProjectTemplate | None:
    return ProjectTemplate.objects.filter(project=project.name if project else "", name=name).first()


@dataclass(frozen=True)
class Bundled:
    template: Template
    text: str


@functools.cache
def bundled_templates() -> dict[str, Bundled]:
    """Berth's own templates (catalog/bundled), by name: read once, checked by the tests."""
    found = {}
    for path in sorted(BUNDLED.glob("*.yaml")):
        text = path.read_text()
        template = template_read(text)
        found[template.name] = Bundled(template, text)
    return found


def sample_values(template: Template) -> dict[str, str]:
    """The values a template's sample app offers: its repository as the Git URL, where
    this Berth knows a server of samples (the devcluster's, in `make dev`)."""
    sample = template.annotations.get(SAMPLE_ANNOTATION, "")
    base = settings.BERTH_SAMPLES_GIT_URL
    if not sample or not base:
        return {}
    return {"SOURCE_REPOSITORY_URL": f"{base.rstrip('/')}/{sample}.git"}


def is_cluster_admin(*, user) -> bool:
    """Whether the cluster treats the person as its administrator (may add templates for
    every project); a cluster that does not answer is taken as a no."""
    try:
        return cluster_projects.may_choose_any_quota(identity_for_user(user))
    except ClusterError:
        return False


def template_exported(*, user, project, selector: str, name: str) -> dict:
    """The project's objects ``selector`` picks, as a template named ``name`` (read as the
    person; ClusterError when the cluster refuses the selector)."""
    objects = cluster_catalog.objects_labelled(
        identity_for_user(user), namespace=project.name, selector=selector
    )
    description = f"Exported from {project.name} ({selector}). Secrets are not exported: make them again."
    return template_export(objects, name=name, description=description)
