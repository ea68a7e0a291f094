"""Volumes of a project. Thin: a form, one service or selector, a page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from actions.views import redirect_to_action, start_from_form
from networking import selectors as networking_selectors
from projects.access import FORM, SUBMIT, project_view
from projects.roles import role_at_least
from storage import selectors, services
from storage.forms import AttachForm, DetachForm, ExpandForm, VolumeDeleteForm, VolumeForm


@project_view()
def volume_list(request: HttpRequest, project) -> HttpResponse:
    context = {
        "project": project,
        "volumes": selectors.volume_list(user=request.user, project=project),
        "can_edit": role_at_least(project.my_role, "edit"),
    }
    return render(request, "storage/volumes.html", context)


@project_view("edit", methods=FORM)
def volume_create(request: HttpRequest, project) -> HttpResponse:
    form = VolumeForm(request.POST or None, storage_classes=selectors.storage_classes())
    if request.method == "POST" and form.is_valid():
        started = start_from_form(
            form,
            lambda: services.volume_create(user=request.user, project=project, **form.cleaned_data),
            follow=False,
        )
        if started:
            return started
    return render(
        request,
        "storage/volume_form.html",
        {"project": project, "form": form},
        status=400 if form.errors else 200,
    )


def _volume_page(
    request, project, name: str, attach_form=None, expand_form=None, status: int = 200
) -> HttpResponse:
    volume = selectors.volume_get(user=request.user, project=project, name=name)
    can_edit = role_at_least(project.my_role, "edit")
    if can_edit and attach_form is None:
        attach_form = AttachForm(
            deployments=list(networking_selectors.deployments_with_ports(user=request.user, project=project))
        )
    storage_class = next((c for c in selectors.storage_classes() if c.name == volume.storage_class), None)
    context = {
        "project": project,
        "volume": volume,
        "can_edit": can_edit,
        "attach_form": attach_form,
        "expandable": bool(storage_class and storage_class.expandable),
        "expand_form": expand_form or ExpandForm(),
    }
    return render(request, "storage/volume.html", context, status=status)


@project_view()
def volume_detail(request: HttpRequest, project, volume: str) -> HttpResponse:
    return _volume_page(request, project, volume)


@project_view("edit", methods=SUBMIT)
def volume_attach(request: HttpRequest, project, volume: str) -> HttpResponse:
    deployments = list(networking_selectors.deployments_with_ports(user=request.user, project=project))
    form = AttachForm(request.POST, deployments=deployments)
    if form.is_valid():
        started = start_from_form(
            form,
            lambda: services.volume_attach(
                user=request.user, project=project, name=volume, **form.cleaned_data
            ),
            follow=False,
        )
        if started:
            return started
    return _volume_page(request, project, volume, attach_form=form, status=400)


@project_view("edit", methods=SUBMIT)
def volume_expand(request: HttpRequest, project, volume: str) -> HttpResponse:
    form = ExpandForm(request.POST)
    if form.is_valid():
        started = start_from_form(
            form,
            lambda: services.volume_expand(
                user=request.user, project=project, name=volume, size=form.cleaned_data["size"]
            ),
            follow=False,
        )
        if started:
            return started
    return _volume_page(request, project, volume, expand_form=form, status=400)


@project_view("edit", methods=SUBMIT)
def volume_detach(request: HttpRequest, project, volume: str) -> HttpResponse:
    form = DetachForm(request.POST)
    if not form.is_valid():
        return _volume_page(request, project, volume, status=400)
    action = services.volume_detach(
        user=request.user, project=project, name=volume, deployment=form.cleaned_data["deployment"]
    )
    return redirect_to_action(action)


@project_view("edit", methods=FORM)
def volume_delete(request: HttpRequest, project, volume: str) -> HttpResponse:
    current = selectors.volume_get(user=request.user, project=project, name=volume)
    users = [m.deployment for m in current.mounted_by]
    form = VolumeDeleteForm(request.POST if request.method == "POST" else None, mounted_by=users)
    if request.method == "POST" and form.is_valid():
        started = start_from_form(
            form,
            lambda: services.volume_delete(
                user=request.user, project=project, name=volume, detach=form.cleaned_data["detach"]
            ),
            follow=False,
        )
        if started:
            return started
    return render(
        request,
        "storage/volume_delete.html",
        {"project": project, "volume": current, "form": form},
        status=400 if form.errors else 200,
    )
