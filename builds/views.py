from __future__ import annotations

import hashlib
import json

import yaml
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from actions.refusal import Refused
from actions.views import redirect_to_action, refusal_to_form, start_from_form
from builds import selectors, services
from builds.cluster import build_args
from builds.detect import DetectionError, Dockerfiles, Plan, dockerfiles_for, why_not_incremental
from builds.forms import BuildConfigForm, ImportFromGitForm
from builds.models import Build, BuildConfig
from builds.routing import build_log_ws_url
from projects.access import FORM, SUBMIT, project_view
from projects.roles import role_at_least

CHUNK_LIMIT = 1000
HIDDEN = "<hidden: project admins only>"


def _config(project, name: str) -> BuildConfig:
    config = selectors.build_config_get(project=project, name=name)
    if config is None:
        raise Http404
    return config


def _build(config: BuildConfig, number: int) -> Build:
    build = selectors.build_get(config=config, number=number)
    if build is None:
        raise Http404
    return build


@project_view()
def config_list(request: HttpRequest, project) -> HttpResponse:
    configs = selectors.build_config_list(project=project)
    rows = [(config, config.builds.first()) for config in configs]
    return render(request, "builds/list.html", {"project": project, "rows": rows})


@project_view("edit", methods=FORM)
def config_create(request: HttpRequest, project) -> HttpResponse:
    form = BuildConfigForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        name = data.pop("name")
        try:
            config = services.build_config_create(user=request.user, project=project, name=name, data=data)
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(request, f"Build config {config.name} created; Berth is reading the source.")
            if not_started := getattr(config, "build_not_started", ""):
                messages.warning(request, f"No build started: {not_started}")
            return redirect("builds:config", name=project.name, config=config.name)
    return render(request, "builds/form.html", {"project": project, "form": form, "editing": False})


@project_view("edit", methods=FORM)
def import_from_git(request: HttpRequest, project) -> HttpResponse:
    form = ImportFromGitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            action = services.import_from_git(
                user=request.user, project=project, name=data.pop("name"), data=data
            )
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            return redirect_to_action(action, follow=True)
    return render(request, "builds/import.html", {"project": project, "form": form})


@project_view("edit", methods=FORM)
def config_edit(request: HttpRequest, project, config: str) -> HttpResponse:
    """The form, then what saving changes (a preview), then the save; a config someone
    else changed since the form was opened is not overwritten."""
    obj = _config(project, config)
    version = services.config_version(obj)
    initial = {**BuildConfigForm.initial_from(obj), "version": version}
    form = BuildConfigForm(request.POST or None, editing=True, initial=initial)
    changes = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("version", "previewed")}
        if form.cleaned_data["version"] != version:
            form = BuildConfigForm(initial, editing=True)
            form.is_valid()
            form.add_error(
                None,
                f"Someone else changed {obj.name} since you opened this form, so nothing was saved. "
                "Its current values are below: make your change again.",
            )
        else:
            changes = services.build_config_changes(obj, data)
            digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]
            if not changes:
                form.add_error(None, "Nothing would change: edit a value first.")
            elif "apply" in request.POST and form.cleaned_data["previewed"] == digest:
                started = start_from_form(
                    form,
                    lambda: services.build_config_edit(
                        user=request.user, project=project, config=obj, data=data, version=version
                    ),
                )
                if started:
                    return started
            form.data = form.data.copy()
            form.data["previewed"] = digest
    context = {"project": project, "form": form, "editing": True, "config": obj, "changes": changes}
    return render(request, "builds/form.html", context)


def _plan_view(config: BuildConfig) -> tuple[Plan | None, Dockerfiles | None]:
    if not config.plan:
        return None, None
    try:
        plan = Plan.from_dict(config.plan)
        return plan, dockerfiles_for(
            plan,
            builder_image=config.builder_image,
            build_args=[name for name, _ in build_args()],
            incremental_build=config.incremental,
        )
    except DetectionError:
        return None, None


def _image_history(config: BuildConfig) -> list:
    """The config's images, newest first; only the newest of each tag is what it names now."""
    images, seen = list(config.image_tags.all()[:20]), set()
    for image in images:
        image.is_current = image.tag not in seen
        seen.add(image.tag)
    return images


@project_view()
def config_detail(request: HttpRequest, project, config: str) -> HttpResponse:
    obj = _config(project, config)
    plan, dockerfiles = _plan_view(obj)
    is_admin = role_at_least(project.my_role, "admin")
    base = request.build_absolute_uri("/")[:-1]
    context = {
        "project": project,
        "config": obj,
        "builds": selectors.build_list(config=obj)[:50],
        "plan": plan,
        "dockerfiles": dockerfiles,
        "why_not_incremental": why_not_incremental(plan) if plan and plan.install.tool else "",
        "plan_problem": services.plan_problem(obj),
        "can_edit": role_at_least(project.my_role, "edit"),
        "is_admin": is_admin,
        "github_url": base + reverse("builds:webhook-github", args=[obj.project, obj.name]),
        "generic_url": (
            base + reverse("builds:webhook-generic", args=[obj.project, obj.name, obj.generic_secret])
            if is_admin
            else ""
        ),
        "generic_header_url": base + reverse("builds:webhook-generic-header", args=[obj.project, obj.name]),
        "deliveries": selectors.webhook_deliveries(config=obj)[:20],
        "revisions": obj.revisions.all()[:20],
        "images": _image_history(obj),
    }
    return render(request, "builds/config.html", context)


@project_view()
def config_export(request: HttpRequest, project, config: str) -> HttpResponse:
    """The config as OpenShift BuildConfig YAML (secrets only for project admins)."""
    document = _config(project, config).to_openshift()
    if not role_at_least(project.my_role, "admin"):
        for trigger in document["spec"]["triggers"]:
            for key in ("github", "generic"):
                if key in trigger:
                    trigger[key]["secret"] = HIDDEN
    text = yaml.safe_dump(document, sort_keys=False)
    return HttpResponse(text, content_type="text/yaml; charset=utf-8")


@project_view("edit", methods=SUBMIT)
def build_start(request: HttpRequest, project, config: str) -> HttpResponse:
    obj = _config(project, config)
    try:
        build = services.build_start(user=request.user, config=obj, project=project)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("builds:config", name=project.name, config=obj.name)
    return redirect("builds:build", name=project.name, config=obj.name, number=build.number)


@project_view("edit", methods=FORM)
def config_delete(request: HttpRequest, project, config: str) -> HttpResponse:
    """A confirmation naming what goes with it; the config's list after."""
    obj = _config(project, config)
    if request.method == "POST":
        try:
            action = services.build_config_delete(user=request.user, project=project, config=obj)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect("builds:config", name=project.name, config=obj.name)
        return redirect_to_action(action, follow=True)
    context = {
        "project": project,
        "config": obj,
        "builds": obj.builds.count(),
        "running": obj.builds.exclude(status__in=Build.FINISHED).order_by("number"),
        "images": _image_history(obj),
    }
    return render(request, "builds/config_delete.html", context)


@project_view("edit", methods=SUBMIT)
def config_detect(request: HttpRequest, project, config: str) -> HttpResponse:
    obj = _config(project, config)
    action = services.build_config_detect(user=request.user, project=project, config=obj)
    return redirect_to_action(action)


@project_view("admin", methods=SUBMIT)
def config_rotate(request: HttpRequest, project, config: str) -> HttpResponse:
    obj = _config(project, config)
    services.build_config_secret_rotate(user=request.user, project=project, config=obj)
    messages.success(request, "New webhook secrets are in place: update the webhooks that call this config.")
    return redirect("builds:config", name=project.name, config=obj.name)


@project_view()
def build_detail(request: HttpRequest, project, config: str, number: int) -> HttpResponse:
    obj = _config(project, config)
    build = _build(obj, number)
    context = {
        "project": project,
        "config": obj,
        "build": build,
        "can_edit": role_at_least(project.my_role, "edit"),
        "ws_url": build_log_ws_url(build.pk),
        "chunk_url": reverse("builds:log-chunk", args=[project.name, obj.name, build.number]),
    }
    return render(request, "builds/build.html", context)


@project_view()
def build_rollout(request: HttpRequest, project, config: str, number: int) -> HttpResponse:
    """The rollout of the deployments following the image, re-read every few seconds."""
    obj = _config(project, config)
    build = _build(obj, number)
    apps = selectors.rollout(user=request.user, project=project, config=obj)
    return render(request, "builds/_rollout.html", {"project": project, "build": build, "apps": apps})


@project_view("edit", methods=SUBMIT)
def build_cancel(request: HttpRequest, project, config: str, number: int) -> HttpResponse:
    obj = _config(project, config)
    build = _build(obj, number)
    try:
        services.build_cancel(user=request.user, project=project, build=build)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, f"Cancelling {build.name}.")
    return redirect("builds:build", name=project.name, config=obj.name, number=build.number)


@project_view()
def build_log_raw(request: HttpRequest, project, config: str, number: int) -> HttpResponse:
    build = _build(_config(project, config), number)
    response = StreamingHttpResponse(
        selectors.build_log_text(build=build), content_type="text/plain; charset=utf-8"
    )
    if request.GET.get("download") == "1":
        response["Content-Disposition"] = f'attachment; filename="{build.name}.log"'
    return response


@project_view()
def build_log_chunk(request: HttpRequest, project, config: str, number: int) -> JsonResponse:
    """Earlier lines on demand: ``?before=<seq>`` gives up to 1,000 lines before it."""
    build = _build(_config(project, config), number)
    try:
        before = int(request.GET.get("before", "0"))
        limit = max(1, min(int(request.GET.get("limit", CHUNK_LIMIT)), CHUNK_LIMIT))
    except ValueError:
        return JsonResponse({"message": "before and limit are numbers."}, status=400)
    lines = selectors.build_log_before(build=build, before=before, limit=limit)
    return JsonResponse({"lines": lines})
