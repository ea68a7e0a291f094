"""Services and routes of a project. Thin: a form, one service or selector, a page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from actions.views import redirect_to_action, start_from_form
from networking import selectors, services
from networking.cluster import RouteSpec
from networking.forms import ExposeForm, RouteForm
from projects.access import FORM, SUBMIT, project_view
from projects.roles import role_at_least

# Services -----------------------------------------------------------------


@project_view()
def service_list(request: HttpRequest, project) -> HttpResponse:
    context = {"project": project, "services": selectors.service_list(user=request.user, project=project)}
    return render(request, "networking/services.html", context)


@project_view()
def service_detail(request: HttpRequest, project, service: str) -> HttpResponse:
    summary, pods = selectors.service_detail(user=request.user, project=project, name=service)
    routes = [r for r in selectors.route_list(user=request.user, project=project) if r.service == service]
    context = {"project": project, "service": summary, "pods": pods, "routes": routes}
    return render(request, "networking/service.html", context)


@project_view("edit", methods=FORM)
def service_delete(request: HttpRequest, project, service: str) -> HttpResponse:
    """A confirmation naming the routes that stop working with it; the pods stay."""
    summary = selectors.service_get(user=request.user, project=project, name=service)
    if request.method == "POST":
        action = services.service_delete(user=request.user, project=project, name=summary.name)
        return redirect_to_action(action)
    routes = [r for r in selectors.route_list(user=request.user, project=project) if r.service == service]
    context = {"project": project, "service": summary, "routes": routes}
    return render(request, "networking/service_delete.html", context)


# Routes -------------------------------------------------------------------


def _routes_page(request, project, expose_form=None, status: int = 200) -> HttpResponse:
    can_edit = role_at_least(project.my_role, "edit")
    if can_edit and expose_form is None:
        expose_form = ExposeForm(
            project=project.name,
            deployments=selectors.deployments_with_ports(user=request.user, project=project),
        )
    context = {
        "project": project,
        "routes": selectors.route_list(user=request.user, project=project),
        "can_edit": can_edit,
        "expose_form": expose_form,
    }
    return render(request, "networking/routes.html", context, status=status)


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


@project_view("edit", methods=FORM)
def route_create(request: HttpRequest, project) -> HttpResponse:
    initial = {"service": request.GET.get("service", ""), "path": "/"}
    form = _route_form(request, project, initial=initial)
    if request.method == "POST" and form.is_valid():
        started = start_from_form(
            form,
            lambda: services.route_create(
                user=request.user, project=project, spec=RouteSpec.from_values(form.cleaned_data)
            ),
            follow=False,
        )
        if started:
            return started
    context = {"project": project, "form": form, "route_kind": selectors.route_kind()}
    return render(request, "networking/route_form.html", context, status=400 if form.errors else 200)


@project_view("edit", methods=FORM)
def route_edit(request: HttpRequest, project, route: str) -> HttpResponse:
    """The form, then what saving changes, then the action; a route someone else changed
    since the form was opened is not overwritten."""
    current = selectors.route_get(user=request.user, project=project, name=route)
    before = current.as_spec()
    version = services.route_version(before)
    initial = {**before.as_values(), "version": version}
    form = _route_form(request, project, editing=route, initial=initial)
    changes = None
    if current.more_rules:
        # Made outside Berth with several hosts or paths: saving one would drop the others.
        form.add_error(
            None, f"{route} has {current.more_rules + 1} rules; Berth edits routes with one. Use kubectl."
        )
    elif request.method == "POST" and form.is_valid():
        spec = RouteSpec.from_values(form.cleaned_data)
        if form.cleaned_data["version"] != version:
            form = RouteForm(
                initial,
                project=project.name,
                editing=route,
                **selectors.route_form_choices(user=request.user, project=project),
            )
            form.is_valid()
            form.add_error(
                None,
                f"Someone else changed {route} since you opened this form, so nothing was saved. "
                "Its current values are below: make your change again.",
            )
        else:
            changes = services.route_changes(before, spec)
            if not changes:
                form.add_error(None, "Nothing would change: edit a value first.")
            elif "apply" in request.POST and form.cleaned_data["previewed"] == services.route_version(spec):
                started = start_from_form(
                    form,
                    lambda: services.route_update(
                        user=request.user, project=project, spec=spec, before=before
                    ),
                    follow=False,
                )
                if started:
                    return started
            form.data = form.data.copy()
            form.data["previewed"] = services.route_version(spec)
    context = {
        "project": project,
        "form": form,
        "route": current,
        "route_kind": selectors.route_kind(),
        "changes": changes,
    }
    return render(request, "networking/route_form.html", context, status=400 if form.errors else 200)


@project_view("edit", methods=FORM)
def route_delete(request: HttpRequest, project, route: str) -> HttpResponse:
    current = selectors.route_get(user=request.user, project=project, name=route)
    if request.method == "POST":
        action = services.route_delete(user=request.user, project=project, name=current.name)
        return redirect_to_action(action)
    return render(request, "networking/route_delete.html", {"project": project, "route": current})


@project_view("edit", methods=SUBMIT)
def deployment_expose(request: HttpRequest, project) -> HttpResponse:
    form = ExposeForm(
        request.POST,
        project=project.name,
        deployments=selectors.deployments_with_ports(user=request.user, project=project),
    )
    if form.is_valid():
        started = start_from_form(
            form,
            lambda: services.deployment_expose(user=request.user, project=project, **form.cleaned_data),
            follow=False,
        )
        if started:
            return started
    return _routes_page(request, project, expose_form=form, status=400)
