"""Services, routes and volumes of a project. Thin: a form, one service or selector, a page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from console.cluster.networking import RouteSpec
from projects.access import project_view
from projects.networking import selectors, services
from projects.networking.forms import (
    AttachForm,
    DetachForm,
    ExposeForm,
    RouteForm,
    VolumeDeleteForm,
    VolumeForm,
)
from projects.services import ProjectRefused, role_at_least


def _can_edit(project) -> bool:
    return role_at_least(project.my_role, "edit")


def _refused(form, exc: ProjectRefused) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


# Services -----------------------------------------------------------------


@project_view()
def service_list(request: HttpRequest, project) -> HttpResponse:
    context = {"project": project, "services": selectors.service_list(user=request.user, project=project)}
    return render(request, "projects/networking/services.html", context)


@project_view()
def service_detail(request: HttpRequest, project, service: str) -> HttpResponse:
    summary, pods = selectors.service_detail(user=request.user, project=project, name=service)
    routes = [r for r in selectors.route_list(user=request.user, project=project) if r.service == service]
    context = {"project": project, "service": summary, "pods": pods, "routes": routes}
    return render(request, "projects/networking/service.html", context)


# Routes -------------------------------------------------------------------


def _routes_page(request, project, expose_form=None, status: int = 200) -> HttpResponse:
    can_edit = _can_edit(project)
    if can_edit and expose_form is None:
        expose_form = ExposeForm(
            project=project.name,
            deployments=selectors.deployments_with_ports(user=request.user, project=project),
        )
    context = {
        "project": project,
        "routes": selectors.route_list(user=request.user, project=project),
        "route_kind": selectors.route_kind(),
        "can_edit": can_edit,
        "expose_form": expose_form,
    }
    return render(request, "projects/networking/routes.html", context, status=status)


@project_view()
def route_list(request: HttpRequest, project) -> HttpResponse:
    return _routes_page(request, project)


def _route_form(request, project, editing: str = "", initial: dict | None = None) -> RouteForm:
    return RouteForm(
        request.POST if request.method == "POST" else None,
        project=project.name,
        editing=editing,
        initial=initial,
        **selectors.route_form_choices(user=request.user, project=project),
    )


def _spec(data: dict) -> RouteSpec:
    return RouteSpec(
        name=data["name"],
        host=data["host"],
        path=data["path"],
        service=data["service"],
        port=data["port"],
        tls_secret=data.get("tls_secret") or "",
    )


@project_view("edit")
@require_http_methods(["GET", "POST"])
def route_create(request: HttpRequest, project) -> HttpResponse:
    initial = {"service": request.GET.get("service", ""), "path": "/"}
    form = _route_form(request, project, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.route_create(user=request.user, project=project, spec=_spec(form.cleaned_data))
        except ProjectRefused as exc:
            _refused(form, exc)
        else:
            return redirect("projects:action", pk=action.pk)
    context = {"project": project, "form": form, "route_kind": selectors.route_kind()}
    return render(request, "projects/networking/route_form.html", context, status=400 if form.errors else 200)


@project_view("edit")
@require_http_methods(["GET", "POST"])
def route_edit(request: HttpRequest, project, route: str) -> HttpResponse:
    current = selectors.route_get(user=request.user, project=project, name=route)
    initial = {
        "name": current.name,
        "host": current.host,
        "path": current.path,
        "service": current.service,
        "port": current.port,
        "tls_secret": current.tls_secret,
    }
    form = _route_form(request, project, editing=route, initial=initial)
    if current.more_rules:
        # Made outside Berth with several hosts or paths: saving one would drop the others.
        form.add_error(
            None, f"{route} has {current.more_rules + 1} rules; Berth edits routes with one. Use kubectl."
        )
    elif request.method == "POST" and form.is_valid():
        try:
            action = services.route_update(user=request.user, project=project, spec=_spec(form.cleaned_data))
        except ProjectRefused as exc:
            _refused(form, exc)
        else:
            return redirect("projects:action", pk=action.pk)
    context = {"project": project, "form": form, "route": current, "route_kind": selectors.route_kind()}
    return render(request, "projects/networking/route_form.html", context, status=400 if form.errors else 200)


@project_view("edit")
@require_http_methods(["GET", "POST"])
def route_delete(request: HttpRequest, project, route: str) -> HttpResponse:
    current = selectors.route_get(user=request.user, project=project, name=route)
    if request.method == "POST":
        action = services.route_delete(user=request.user, project=project, name=current.name)
        return redirect("projects:action", pk=action.pk)
    return render(request, "projects/networking/route_delete.html", {"project": project, "route": current})


@project_view("edit")
@require_POST
def deployment_expose(request: HttpRequest, project) -> HttpResponse:
    form = ExposeForm(
        request.POST,
        project=project.name,
        deployments=selectors.deployments_with_ports(user=request.user, project=project),
    )
    if form.is_valid():
        try:
            action = services.deployment_expose(user=request.user, project=project, **form.cleaned_data)
        except ProjectRefused as exc:
            _refused(form, exc)
        else:
            return redirect("projects:action", pk=action.pk)
    return _routes_page(request, project, expose_form=form, status=400)


# Volumes ------------------------------------------------------------------


@project_view()
def volume_list(request: HttpRequest, project) -> HttpResponse:
    context = {
        "project": project,
        "volumes": selectors.volume_list(user=request.user, project=project),
        "can_edit": _can_edit(project),
    }
    return render(request, "projects/networking/volumes.html", context)


@project_view("edit")
@require_http_methods(["GET", "POST"])
def volume_create(request: HttpRequest, project) -> HttpResponse:
    form = VolumeForm(request.POST or None, storage_classes=selectors.storage_classes())
    if request.method == "POST" and form.is_valid():
        try:
            action = services.volume_create(user=request.user, project=project, **form.cleaned_data)
        except ProjectRefused as exc:
            _refused(form, exc)
        else:
            return redirect("projects:action", pk=action.pk)
    return render(
        request,
        "projects/networking/volume_form.html",
        {"project": project, "form": form},
        status=400 if form.errors else 200,
    )


def _volume_page(request, project, name: str, attach_form=None, status: int = 200) -> HttpResponse:
    volume = selectors.volume_get(user=request.user, project=project, name=name)
    can_edit = _can_edit(project)
    if can_edit and attach_form is None:
        attach_form = AttachForm(
            deployments=list(selectors.deployments_with_ports(user=request.user, project=project))
        )
    context = {"project": project, "volume": volume, "can_edit": can_edit, "attach_form": attach_form}
    return render(request, "projects/networking/volume.html", context, status=status)


@project_view()
def volume_detail(request: HttpRequest, project, volume: str) -> HttpResponse:
    return _volume_page(request, project, volume)


@project_view("edit")
@require_POST
def volume_attach(request: HttpRequest, project, volume: str) -> HttpResponse:
    deployments = list(selectors.deployments_with_ports(user=request.user, project=project))
    form = AttachForm(request.POST, deployments=deployments)
    if form.is_valid():
        try:
            action = services.volume_attach(
                user=request.user, project=project, name=volume, **form.cleaned_data
            )
        except ProjectRefused as exc:
            _refused(form, exc)
        else:
            return redirect("projects:action", pk=action.pk)
    return _volume_page(request, project, volume, attach_form=form, status=400)


@project_view("edit")
@require_POST
def volume_detach(request: HttpRequest, project, volume: str) -> HttpResponse:
    form = DetachForm(request.POST)
    if not form.is_valid():
        return _volume_page(request, project, volume, status=400)
    action = services.volume_detach(
        user=request.user, project=project, name=volume, deployment=form.cleaned_data["deployment"]
    )
    return redirect("projects:action", pk=action.pk)


@project_view("edit")
@require_http_methods(["GET", "POST"])
def volume_delete(request: HttpRequest, project, volume: str) -> HttpResponse:
    current = selectors.volume_get(user=request.user, project=project, name=volume)
    users = [m.deployment for m in current.mounted_by]
    form = VolumeDeleteForm(request.POST if request.method == "POST" else None, mounted_by=users)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.volume_delete(
                user=request.user, project=project, name=volume, detach=form.cleaned_data["detach"]
            )
        except ProjectRefused as exc:
            _refused(form, exc)
        else:
            return redirect("projects:action", pk=action.pk)
    return render(
        request,
        "projects/networking/volume_delete.html",
        {"project": project, "volume": current, "form": form},
        status=400 if form.errors else 200,
    )
