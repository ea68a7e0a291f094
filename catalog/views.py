"""The template deploy page: paste or upload a template, fill its parameters, deploy."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from actions.views import start_from_form
from catalog import selectors, services
from catalog.forms import ParametersForm, TemplateForm
from projects.access import FORM, project_view


@project_view("edit", methods=FORM)
def template_deploy(request: HttpRequest, project) -> HttpResponse:
    source = TemplateForm(request.POST or None, request.FILES or None)
    parameters = None
    if request.method == "POST" and source.is_valid():
        template = source.cleaned_data["template"]
        deploying = "deploy" in request.POST
        parameters = ParametersForm(request.POST if deploying else None, template=template, prefix="p")
        if deploying and parameters.is_valid():
            started = start_from_form(
                parameters,
                lambda: services.template_instantiate(
                    user=request.user,
                    project=project,
                    text=source.cleaned_data["text"],
                    values=parameters.values(),
                ),
            )
            if started:
                return started
    context = {
        "project": project,
        "source": source,
        "template": source.cleaned_data.get("template") if source.is_bound and source.is_valid() else None,
        "parameters": parameters,
    }
    return render(request, "catalog/deploy.html", context)


@project_view("edit")
def template_result(request: HttpRequest, project, action: int) -> HttpResponse:
    found = selectors.template_result(user=request.user, project=project, pk=action)
    if found is None:
        raise Http404
    action_obj, made, message = found
    context = {"project": project, "action": action_obj, "made": made, "message": message}
    return render(request, "catalog/result.html", context)
