from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from actions.refusal import Refused
from actions.views import redirect_to_action, start_from_form
from console.context_processors import PROJECT_SECTIONS
from projects import selectors, services
from projects.access import FORM, SUBMIT, project_view
from projects.forms import MemberForm, MemberRemoveForm, ProjectCreateForm, ProjectDeleteForm
from projects.overview import project_apps

PROJECTS_PAGE_SIZE = 50


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:63]
    projects = selectors.project_list(user=request.user, search=search)
    page = Paginator(projects, PROJECTS_PAGE_SIZE).get_page(request.GET.get("page"))
    template = "projects/_table.html" if request.htmx else "projects/list.html"
    return render(request, template, {"projects": page.object_list, "page": page, "search": search})


@login_required
@require_http_methods(["GET", "HEAD"])
def project_switch(request: HttpRequest) -> HttpResponse:
    """The project switcher's list (loaded when opened): the person's projects, each
    linked to the section they are in now."""
    section = dict((key, url) for key, _label, url, _keys in PROJECT_SECTIONS).get(
        request.GET.get("section", ""), "projects:detail"
    )
    current = request.GET.get("current", "")
    projects = [
        (p, reverse(section, kwargs={"name": p.name}))
        for p in selectors.project_list(user=request.user, search="")
        if p.name != current
    ]
    return render(request, "projects/_switcher.html", {"projects": projects})


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectCreateForm(
        request.POST or None,
        name_taken=selectors.project_name_taken,
        custom_allowed=selectors.may_choose_any_quota(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        started = start_from_form(
            form,
            lambda: services.project_create(
                user=request.user,
                name=data["name"],
                display_name=data["display_name"],
                description=data["description"],
                quota=form.quota_values(),
            ),
        )
        if started:
            return started
    return render(request, "projects/create.html", {"form": form})


@project_view()
def project_detail(request: HttpRequest, project) -> HttpResponse:
    context = {
        "project": project,
        **selectors.project_overview(user=request.user, project=project),
        "apps": project_apps(user=request.user, project=project),
    }
    return render(request, "projects/detail.html", context)


@project_view()
def project_members(request: HttpRequest, project) -> HttpResponse:
    return render(request, "projects/members.html", {"project": project, "form": MemberForm()})


@project_view("admin", methods=SUBMIT)
def member_set(request: HttpRequest, project) -> HttpResponse:
    form = MemberForm(request.POST)
    if form.is_valid():
        started = start_from_form(
            form,
            lambda: services.member_set(user=request.user, project=project, **form.cleaned_data),
        )
        if started:
            data = form.cleaned_data
            messages.info(request, f"Giving {data['name']} the {data['role']} role.")
            if not selectors.known_to_berth(kind=data["kind"], name=data["name"]):
                # Allowed: the cluster's identity provider may know them. But a typo would
                # otherwise grant a role to nobody without a word.
                messages.warning(
                    request,
                    f"Berth has no {data['kind'].lower()} named {data['name']}: check the spelling, "
                    "unless they sign in to the cluster some other way.",
                )
            return started
    return render(request, "projects/members.html", {"project": project, "form": form}, status=400)


@project_view("admin", methods=SUBMIT)
def member_remove(request: HttpRequest, project) -> HttpResponse:
    form = MemberRemoveForm(request.POST)
    if form.is_valid():
        try:
            action = services.member_remove(user=request.user, project=project, **form.cleaned_data)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect("projects:members", name=project.name)
        return redirect_to_action(action, follow=True)
    messages.error(request, "That member could not be read from the form.")
    return redirect("projects:members", name=project.name)


@project_view("admin", methods=FORM)
def project_delete(request: HttpRequest, project) -> HttpResponse:
    form = ProjectDeleteForm(request.POST or None, project_name=project.name)
    if request.method == "POST" and form.is_valid():
        started = start_from_form(form, lambda: services.project_delete(user=request.user, project=project))
        if started:
            return started
    return render(request, "projects/delete.html", {"project": project, "form": form})


@project_view()
def project_activity(request: HttpRequest, project) -> HttpResponse:
    paginator = Paginator(selectors.project_actions(project=project), 25)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "projects/activity.html", {"project": project, "page": page})
