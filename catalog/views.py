"""The Templates tab: paste, upload or pick a saved template, fill its parameters, deploy;
keep templates in the project's catalog; what a deployed template made."""

from __future__ import annotations

import yaml
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from actions.refusal import Refused
from actions.views import refusal_to_form, start_from_form
from catalog import selectors, services
from catalog.forms import ExportForm, ParametersForm, TemplateForm
from kube import ClusterError
from projects.access import FORM, SUBMIT, project_view


def _deploy_url(project, saved: str = "", *, shared: bool = False) -> str:
    url = reverse("catalog:deploy", kwargs={"name": project.name})
    return f"{url}?{'shared' if shared else 'saved'}={saved}" if saved else url


@project_view("edit", methods=FORM)
def template_deploy(request: HttpRequest, project) -> HttpResponse:
    saved_name, bundled_name = request.GET.get("saved", ""), request.GET.get("bundled", "")
    shared_name = request.GET.get("shared", "")
    if request.method == "POST":
        source = TemplateForm(request.POST, request.FILES)
    elif saved_name or shared_name:
        saved = selectors.template_get(
            project=None if shared_name else project, name=saved_name or shared_name
        )
        if saved is None:
            raise Http404
        source = TemplateForm({"text": saved.text})
    elif bundled_name:
        bundled = selectors.bundled_templates().get(bundled_name)
        if bundled is None:
            raise Http404
        source = TemplateForm({"text": bundled.text})
    else:
        source = TemplateForm()
    parameters = None
    if source.is_bound and source.is_valid():
        template = source.cleaned_data["template"]
        deploying = request.method == "POST" and "deploy" in request.POST
        parameters = ParametersForm(request.POST if deploying else None, template=template, prefix="p")
        if request.method == "POST" and ("save" in request.POST or "share" in request.POST):
            shared = "share" in request.POST
            try:
                services.template_save(
                    user=request.user,
                    project=project,
                    text=source.cleaned_data["text"],
                    for_every_project=shared,
                )
            except Refused as exc:
                refusal_to_form(source, exc)
            else:
                return redirect(_deploy_url(project, template.name, shared=shared))
        elif deploying and parameters.is_valid():
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
    saved_list = selectors.template_list(project=project)
    shared_list = selectors.template_list(project=None)
    template = source.cleaned_data.get("template") if source.is_bound and not source.errors else None
    context = {
        "project": project,
        "source": source,
        "template": template,
        "parameters": parameters,
        "saved": saved_list,
        "bundled": [b.template for b in selectors.bundled_templates().values()],
        "saved_names": {t.name for t in saved_list},
        "shared": shared_list,
        "shared_names": {t.name for t in shared_list},
        # A question to the cluster, asked only where an administrator's buttons could show.
        "cluster_admin": bool(template or shared_list) and selectors.is_cluster_admin(user=request.user),
    }
    return render(request, "catalog/deploy.html", context)


@project_view("edit", methods=SUBMIT)
def template_delete(request: HttpRequest, project, template: str) -> HttpResponse:
    # Deleting one that is gone already (a second click) changes nothing and says nothing.
    services.template_delete(user=request.user, project=project, name=template)
    return redirect(_deploy_url(project))


@project_view("edit", methods=SUBMIT)
def shared_template_delete(request: HttpRequest, project, template: str) -> HttpResponse:
    try:
        services.template_delete(user=request.user, project=project, name=template, for_every_project=True)
    except Refused as exc:
        messages.error(request, str(exc))  # said on the page the person came from
    return redirect(_deploy_url(project))


@project_view("edit")
def template_result(request: HttpRequest, project, action: int) -> HttpResponse:
    found = selectors.template_result(user=request.user, project=project, pk=action)
    if found is None:
        raise Http404
    action_obj, made, message = found
    context = {"project": project, "action": action_obj, "made": made, "message": message}
    return render(request, "catalog/result.html", context)


@project_view()
def template_export(request: HttpRequest, project) -> HttpResponse:
    """The project's objects a label selector picks, as a template (a YAML download)."""
    form = ExportForm(request.GET or None)
    if form.is_valid():
        try:
            exported = selectors.template_exported(
                user=request.user,
                project=project,
                selector=form.cleaned_data["selector"],
                name=form.cleaned_data["name"],
            )
        except ClusterError as exc:
            form.add_error("selector", str(exc))
        else:
            if not exported["objects"]:
                form.add_error(
                    "selector",
                    "No Deployment, StatefulSet, Service, Ingress, ConfigMap or volume has these labels.",
                )
            else:
                response = HttpResponse(
                    yaml.safe_dump(exported, sort_keys=False), content_type="application/yaml"
                )
                response["Content-Disposition"] = f'attachment; filename="{form.cleaned_data["name"]}.yaml"'
                return response
    return render(request, "catalog/export.html", {"project": project, "form": form})
