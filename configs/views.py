from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from actions.refusal import Refused
from actions.views import redirect_to_action, start_from_form
from configs import selectors, services
from configs.cluster import KINDS
from configs.forms import CreateForm, KeyForm, ValueForm
from projects.access import FORM, SUBMIT, project_view
from projects.roles import role_at_least


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Http404
    return kind


def _exists(request, project, kind: str, item: str) -> None:
    """An action on a Secret or ConfigMap that is not there is a 404, not a queued failure."""
    selectors.config_get(user=request.user, project=project, kind=_kind(kind), name=item)


@project_view()
def config_list(request: HttpRequest, project) -> HttpResponse:
    context = {
        "project": project,
        "secrets": selectors.config_list(user=request.user, project=project, kind="secret"),
        "configmaps": selectors.config_list(user=request.user, project=project, kind="configmap"),
        "can_edit": role_at_least(project.my_role, "edit"),
    }
    return render(request, "configs/list.html", context)


@project_view("edit", methods=FORM)
def config_create(request: HttpRequest, project, kind: str) -> HttpResponse:
    kind = _kind(kind)
    form = CreateForm(request.POST or None, request.FILES or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        started = start_from_form(
            form,
            lambda: services.config_create(
                user=request.user,
                project=project,
                kind=kind,
                name=data["name"],
                data={data["key"]: data["bytes"]},
                type_=data.get("type") or "",
            ),
        )
        if started:
            return started
    return render(request, "configs/create.html", {"project": project, "kind": kind, "form": form})


@project_view()
def config_detail(request: HttpRequest, project, kind: str, item: str) -> HttpResponse:
    obj = selectors.config_get(user=request.user, project=project, kind=_kind(kind), name=item)
    context = {
        "project": project,
        "object": obj,
        "form": ValueForm(),
        "can_edit": role_at_least(project.my_role, "edit"),
    }
    return render(request, "configs/detail.html", context)


@project_view("edit", methods=SUBMIT)
def config_set(request: HttpRequest, project, kind: str, item: str) -> HttpResponse:
    kind = _kind(kind)
    form = ValueForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        started = start_from_form(
            form,
            lambda: services.config_set(
                user=request.user,
                project=project,
                kind=kind,
                name=item,
                key=data["key"],
                value=data["bytes"],
            ),
        )
        if started:
            return started
    obj = selectors.config_get(user=request.user, project=project, kind=kind, name=item)
    context = {"project": project, "object": obj, "form": form, "can_edit": True}
    return render(request, "configs/detail.html", context, status=422)


@project_view("edit", methods=SUBMIT)
def config_remove(request: HttpRequest, project, kind: str, item: str) -> HttpResponse:
    _exists(request, project, kind, item)
    form = KeyForm(request.POST)
    if not form.is_valid():
        return redirect("configs:detail", name=project.name, kind=kind, item=item)
    action = services.config_remove(
        user=request.user, project=project, kind=_kind(kind), name=item, key=form.cleaned_data["key"]
    )
    return redirect_to_action(action, follow=True)


@project_view("edit", methods=SUBMIT)
def config_delete(request: HttpRequest, project, kind: str, item: str) -> HttpResponse:
    _exists(request, project, kind, item)
    action = services.config_delete(user=request.user, project=project, kind=_kind(kind), name=item)
    return redirect_to_action(action, follow=True)


@project_view("edit", methods=SUBMIT)
def secret_reveal(request: HttpRequest, project, item: str) -> HttpResponse:
    """One value, in place of its mask (htmx); the reveal is in the project's activity."""
    _exists(request, project, "secret", item)
    form = KeyForm(request.POST)
    if not form.is_valid():
        return render(request, "configs/_value.html", {"error": "Which key?"}, status=422)
    try:
        value = services.secret_reveal(
            user=request.user, project=project, name=item, key=form.cleaned_data["key"]
        )
    except Refused as exc:
        return render(request, "configs/_value.html", {"error": str(exc)}, status=422)
    return render(request, "configs/_value.html", {"value": value, "key": form.cleaned_data["key"]})
