from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from console.cluster import identity_for_user
from console.cluster import workloads as cluster_workloads
from projects.access import project_view
from projects.services import ProjectRefused
from projects.views import redirect_to_action
from projects.workloads import selectors, services
from projects.workloads.diff import template_diff
from projects.workloads.forms import DeployImageForm, RollbackForm, ScaleForm


def _live_url(project, resource: str, params: dict) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/ws/projects/{project.name}/{resource}/" + (f"?{query}" if query else "")


@project_view()
def pod_list(request: HttpRequest, project) -> HttpResponse:
    query = selectors.PodQuery.from_params(request.GET)
    page, statuses = selectors.pod_page(user=request.user, namespace=project.name, query=query)
    context = {
        "project": project,
        "page": page,
        "query": query,
        "statuses": statuses,
        "live_url": _live_url(project, "pods", request.GET.dict()),
    }
    template = "projects/workloads/_pod_table.html" if request.htmx else "projects/workloads/pods.html"
    return render(request, template, context)


@project_view()
def pod_detail(request: HttpRequest, project, pod: str) -> HttpResponse:
    identity = identity_for_user(request.user)
    obj, summary = cluster_workloads.pod_get(identity, namespace=project.name, name=pod)
    containers = [c.name for c in obj.spec.containers]
    container = request.GET.get("container") if request.GET.get("container") in containers else containers[0]
    statuses = {s.name: s for s in (obj.status.container_statuses or [])}
    restarted = any((s.restart_count or 0) > 0 for s in statuses.values())
    context = {
        "project": project,
        "pod": obj,
        "summary": summary,
        "statuses": statuses,
        "container": container,
        "containers": containers,
        "restarted": restarted,
        "timestamps": request.GET.get("timestamps") == "1",
        "log_url": f"/ws/projects/{project.name}/pods/{pod}/log/?"
        + urlencode({"container": container, "timestamps": request.GET.get("timestamps", "")}),
    }
    return render(request, "projects/workloads/pod.html", context)


@project_view()
def pod_events(request: HttpRequest, project, pod: str) -> HttpResponse:
    events = cluster_workloads.pod_events(
        identity_for_user(request.user), namespace=project.name, kind="Pod", name=pod
    )
    return render(request, "projects/workloads/_events.html", {"events": events})


@project_view()
def pod_log_download(request: HttpRequest, project, pod: str) -> HttpResponse:
    text = cluster_workloads.pod_log(
        identity_for_user(request.user),
        namespace=project.name,
        name=pod,
        container=request.GET.get("container") or None,
        previous=request.GET.get("previous") == "1",
        tail_lines=None,
        timestamps=request.GET.get("timestamps") == "1",
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(pod)}.log"'
    return response


@project_view()
def deployment_list(request: HttpRequest, project) -> HttpResponse:
    deployments = selectors.deployment_list(user=request.user, namespace=project.name)
    context = {
        "project": project,
        "deployments": deployments,
        "live_url": _live_url(project, "deployments", {}),
    }
    return render(request, "projects/workloads/deployments.html", context)


@project_view()
def deployment_detail(request: HttpRequest, project, deployment: str) -> HttpResponse:
    summary = selectors.deployment_summary(user=request.user, namespace=project.name, name=deployment)
    query = selectors.PodQuery.from_params(request.GET)
    pods, _ = selectors.pod_page(
        user=request.user, namespace=project.name, query=query, deployment_selector=summary.selector
    )
    history = cluster_workloads.deployment_history(
        identity_for_user(request.user), namespace=project.name, name=deployment
    )
    context = {
        "project": project,
        "deployment": summary,
        "page": pods,
        "history": history,
        "live_url": _live_url(project, "deployments", {"deployment": deployment}),
    }
    return render(request, "projects/workloads/deployment.html", context)


def _start(request, start, project, deployment: str, **kwargs) -> HttpResponse:
    try:
        action = start(user=request.user, project=project, name=deployment, **kwargs)
    except ProjectRefused as exc:
        messages.error(request, str(exc))
        return redirect("projects:deployment", name=project.name, deployment=deployment)
    if request.htmx:
        return render(request, "projects/actions/_inline.html", {"action": action})
    return redirect("projects:deployment", name=project.name, deployment=deployment)


@project_view("edit")
@require_POST
def deployment_scale(request: HttpRequest, project, deployment: str) -> HttpResponse:
    form = ScaleForm(request.POST)
    if not form.is_valid():
        message = " ".join(form.errors.get("replicas", ["Give a number of replicas."]))
        if request.htmx:
            return render(request, "projects/workloads/_form_error.html", {"message": message}, status=400)
        messages.error(request, message)
        return redirect("projects:deployment", name=project.name, deployment=deployment)
    return _start(
        request, services.deployment_scale, project, deployment, replicas=form.cleaned_data["replicas"]
    )


@project_view("edit")
@require_http_methods(["GET", "POST"])
def deployment_rollback(request: HttpRequest, project, deployment: str) -> HttpResponse:
    form = RollbackForm(request.POST or request.GET)
    if not form.is_valid():
        messages.error(request, "Choose a revision to roll back to.")
        return redirect("projects:deployment", name=project.name, deployment=deployment)
    revision = form.cleaned_data["revision"]
    if request.method == "POST":
        return _start(request, services.deployment_rollback, project, deployment, revision=revision)
    current, target = cluster_workloads.deployment_rollback_plan(
        identity_for_user(request.user), namespace=project.name, name=deployment, revision=revision
    )
    context = {
        "project": project,
        "deployment": deployment,
        "revision": revision,
        "changes": template_diff(current, target),
    }
    return render(request, "projects/workloads/rollback.html", context)


@project_view("edit")
@require_POST
def deployment_pause(request: HttpRequest, project, deployment: str) -> HttpResponse:
    return _start(request, services.deployment_pause, project, deployment, paused=True)


@project_view("edit")
@require_POST
def deployment_resume(request: HttpRequest, project, deployment: str) -> HttpResponse:
    return _start(request, services.deployment_pause, project, deployment, paused=False)


@project_view("edit")
@require_POST
def deployment_restart(request: HttpRequest, project, deployment: str) -> HttpResponse:
    return _start(request, services.deployment_restart, project, deployment)


@project_view("edit")
@require_http_methods(["GET", "POST"])
def deployment_create(request: HttpRequest, project) -> HttpResponse:
    form = DeployImageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.deployment_create(user=request.user, project=project, **form.cleaned_data)
        except ProjectRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect_to_action(action, follow=True)
    return render(request, "projects/workloads/deploy.html", {"project": project, "form": form})
