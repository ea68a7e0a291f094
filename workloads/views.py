from __future__ import annotations

import hashlib
import json
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify

from actions.refusal import Refused
from actions.views import inline_action, redirect_to_action, start_from_form
from kube import Invalid, NotFound
from projects.access import FORM, SUBMIT, project_view
from projects.roles import role_at_least
from workloads import controllers, selectors, services
from workloads import edit as edit_module
from workloads.diff import template_diff
from workloads.forms import (
    DeployImageForm,
    EditDeploymentForm,
    HooksForm,
    RollbackForm,
    RunCommandForm,
    ScaleForm,
)
from workloads.routing import (
    live_list_ws_url,
    pod_log_ws_url,
    pod_terminal_ws_url,
    run_log_ws_url,
    run_terminal_ws_url,
)


def _live_url(project, resource: str, params: dict) -> str:
    return live_list_ws_url(project.name, resource, params)


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
    template = "workloads/_pod_table.html" if request.htmx else "workloads/pods.html"
    return render(request, template, context)


def _container(request: HttpRequest, detail) -> str:
    """The container the page asks for (``?container=``), else the pod's first."""
    names = detail.container_names
    return request.GET.get("container") if request.GET.get("container") in names else names[0]


@project_view()
def pod_detail(request: HttpRequest, project, pod: str) -> HttpResponse:
    detail = selectors.pod_detail(user=request.user, project=project, name=pod)
    container = _container(request, detail)
    context = {
        "project": project,
        "pod": detail,
        "container": container,
        "timestamps": request.GET.get("timestamps") == "1",
        "log_url": pod_log_ws_url(
            project.name, pod, container=container, timestamps=request.GET.get("timestamps", "")
        ),
    }
    return render(request, "workloads/pod.html", context)


@project_view("edit")
def pod_terminal(request: HttpRequest, project, pod: str) -> HttpResponse:
    detail = selectors.pod_detail(user=request.user, project=project, name=pod)
    container = _container(request, detail)
    context = {
        "project": project,
        "pod": detail,
        "container": container,
        "socket_url": pod_terminal_ws_url(project.name, pod, container=container),
        "idle_minutes": settings.BERTH_TERMINAL_IDLE_SECONDS // 60,
    }
    return render(request, "workloads/terminal.html", context)


@project_view()
def pod_events(request: HttpRequest, project, pod: str) -> HttpResponse:
    selectors.pod_detail(user=request.user, project=project, name=pod)  # NotFound: a 404
    events = selectors.events_for(user=request.user, project=project, kind="Pod", name=pod)
    return render(request, "workloads/_events.html", {"events": events})


@project_view()
def pod_log_download(request: HttpRequest, project, pod: str) -> HttpResponse:
    text = selectors.pod_log(
        user=request.user,
        project=project,
        name=pod,
        container=request.GET.get("container") or None,
        previous=request.GET.get("previous") == "1",
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
    return render(request, "workloads/deployments.html", context)


@project_view()
def deployment_detail(request: HttpRequest, project, deployment: str) -> HttpResponse:
    summary = selectors.deployment_summary(user=request.user, namespace=project.name, name=deployment)
    query = selectors.PodQuery.from_params(request.GET)
    pods, _ = selectors.pod_page(
        user=request.user, namespace=project.name, query=query, deployment_selector=summary.selector
    )
    history = selectors.deployment_history(user=request.user, namespace=project.name, name=deployment)
    can_edit = role_at_least(project.my_role, "edit")
    context = {
        "project": project,
        "deployment": summary,
        "page": pods,
        "history": history,
        "can_edit": can_edit,
        "runs": selectors.command_runs(project=project, deployment=deployment),
        "run_settings": selectors.deployment_run_settings(
            user=request.user, project=project, name=deployment
        ),
        "offered": selectors.commands_offered(user=request.user, project=project, deployment=deployment)
        if can_edit
        else [],
        "command": request.GET.get("command", "")[:2000],
        "live_url": _live_url(project, "deployments", {"deployment": deployment}),
    }
    return render(request, "workloads/deployment.html", context)


@project_view("edit")
def deployment_terminal(request: HttpRequest, project, deployment: str) -> HttpResponse:
    """A terminal in one of the deployment's running pods (the first), or back with why not."""
    summary = selectors.deployment_summary(user=request.user, namespace=project.name, name=deployment)
    # The page filters by status before it pages: its first pod runs, if any does.
    pods, _ = selectors.pod_page(
        user=request.user,
        namespace=project.name,
        query=selectors.PodQuery.from_params({"status": "Running"}),
        deployment_selector=summary.selector,
    )
    running = next((p.name for p in pods.object_list), None)
    if running is None:
        messages.error(request, f"No pod of {deployment} is running: there is nothing to open a terminal in.")
        return redirect("workloads:deployment", name=project.name, deployment=deployment)
    return redirect("workloads:pod-terminal", name=project.name, pod=running)


def _refused(request, project, deployment: str, message: str) -> HttpResponse:
    """A refusal, shown where the person acted: beside the control (htmx) or on the page."""
    if request.htmx:
        return render(request, "workloads/_form_error.html", {"message": message}, status=422)
    messages.error(request, message)
    return redirect("workloads:deployment", name=project.name, deployment=deployment)


def existing_deployment(view):
    """A deployment's control: a 404 when the deployment is not there (nothing queued). The
    shared cache answers; the cluster itself when the cache has not seen it yet."""

    @wraps(view)
    def wrapper(request, project, deployment: str, *args, **kwargs):
        try:
            selectors.deployment_summary(user=request.user, namespace=project.name, name=deployment)
        except NotFound:
            selectors.deployment_object(user=request.user, namespace=project.name, name=deployment)
        return view(request, project, deployment, *args, **kwargs)

    return wrapper


def _start(request, start, project, deployment: str, **kwargs) -> HttpResponse:
    try:
        action = start(user=request.user, project=project, name=deployment, **kwargs)
    except Refused as exc:
        return _refused(request, project, deployment, str(exc))
    if request.htmx:
        return inline_action(request, action)
    return redirect("workloads:deployment", name=project.name, deployment=deployment)


@project_view("edit", methods=SUBMIT)
@existing_deployment
def deployment_scale(request: HttpRequest, project, deployment: str) -> HttpResponse:
    form = ScaleForm(request.POST)
    if not form.is_valid():
        message = " ".join(form.errors.get("replicas", ["Give a number of replicas."]))
        return _refused(request, project, deployment, message)
    return _start(
        request, services.deployment_scale, project, deployment, replicas=form.cleaned_data["replicas"]
    )


@project_view("edit", methods=FORM)
@existing_deployment
def deployment_rollback(request: HttpRequest, project, deployment: str) -> HttpResponse:
    form = RollbackForm(request.POST or request.GET)
    if not form.is_valid():
        messages.error(request, "Choose a revision to roll back to.")
        return redirect("workloads:deployment", name=project.name, deployment=deployment)
    revision = form.cleaned_data["revision"]
    if request.method == "POST":
        return _start(request, services.deployment_rollback, project, deployment, revision=revision)
    try:
        current, target = selectors.deployment_rollback_plan(
            user=request.user, project=project, name=deployment, revision=revision
        )
    except (Invalid, NotFound) as exc:  # paused, or the revision is gone: said on the deployment's page
        messages.error(request, f"Berth refused the rollback: {exc}")
        return redirect("workloads:deployment", name=project.name, deployment=deployment)
    context = {
        "project": project,
        "deployment": deployment,
        "revision": revision,
        "changes": template_diff(current, target),
    }
    return render(request, "workloads/rollback.html", context)


@project_view("edit", methods=SUBMIT)
@existing_deployment
def deployment_pause(request: HttpRequest, project, deployment: str) -> HttpResponse:
    return _start(request, services.deployment_pause, project, deployment, paused=True)


@project_view("edit", methods=SUBMIT)
@existing_deployment
def deployment_resume(request: HttpRequest, project, deployment: str) -> HttpResponse:
    return _start(request, services.deployment_pause, project, deployment, paused=False)


@project_view("edit", methods=SUBMIT)
@existing_deployment
def deployment_restart(request: HttpRequest, project, deployment: str) -> HttpResponse:
    return _start(request, services.deployment_restart, project, deployment)


@project_view("edit", methods=FORM)
def deployment_create(request: HttpRequest, project) -> HttpResponse:
    form = DeployImageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        started = start_from_form(
            form, lambda: services.deployment_create(user=request.user, project=project, **form.cleaned_data)
        )
        if started:
            return started
    return render(request, "workloads/deploy.html", {"project": project, "form": form})


def _digest(edit) -> str:
    return hashlib.sha256(json.dumps(edit.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


@project_view("edit", methods=FORM)
def deployment_edit(request: HttpRequest, project, deployment: str) -> HttpResponse:
    """The form, then the same diff as a rollback's preview, then the action."""
    current = selectors.deployment_object(user=request.user, namespace=project.name, name=deployment)
    names = [c["name"] for c in edit_module.containers(current)]
    start = edit_module.initial(current, request.GET.get("container"))
    sources = selectors.env_sources(user=request.user, project=project) + start["env_from"]
    form = EditDeploymentForm(
        request.POST or None,
        container_names=names,
        sources=sources,
        initial=EditDeploymentForm.initial_from(start),
    )
    changes = None
    if request.method == "POST" and form.is_valid():
        change = form.edit()
        if form.cleaned_data["generation"] != current["metadata"].get("generation"):
            # The form shows the deployment as it is now, with what happened.
            form = EditDeploymentForm(
                EditDeploymentForm.initial_from(start), container_names=names, sources=sources
            )
            form.is_valid()
            form.add_error(
                None,
                f"Someone else changed {deployment} since you opened this form, so nothing was applied. "
                "Its current values are below: make your change again.",
            )
        else:
            changes = edit_module.changes(current, edit_module.edited(current, change))
            if not changes:
                form.add_error(None, "Nothing would change: edit a value first.")
            elif "apply" in request.POST and request.POST.get("previewed") == _digest(change):
                started = start_from_form(
                    form,
                    lambda: services.deployment_edit(
                        user=request.user,
                        project=project,
                        name=deployment,
                        edit=change,
                        generation=form.cleaned_data["generation"],
                    ),
                )
                if started:
                    return started
            form.data = form.data.copy()
            form.data["previewed"] = _digest(change)
    context = {
        "project": project,
        "deployment": deployment,
        "form": form,
        "changes": changes,
        "kept_env": edit_module.referenced_env(current, start["container"]),
        "other_probes": edit_module.other_probes(current, start["container"]),
    }
    return render(request, "workloads/edit.html", context)


@project_view("edit", methods=FORM)
def deployment_delete(request: HttpRequest, project, deployment: str) -> HttpResponse:
    summary = selectors.deployment_summary(user=request.user, namespace=project.name, name=deployment)
    if request.method == "POST":
        try:
            action = services.deployment_delete(user=request.user, project=project, name=deployment)
        except Refused as exc:
            return _refused(request, project, deployment, str(exc))
        return redirect_to_action(action, follow=True)
    pods, _ = selectors.pod_page(
        user=request.user,
        namespace=project.name,
        query=selectors.PodQuery.from_params({}),
        deployment_selector=summary.selector,
    )
    context = {
        "project": project,
        "deployment": summary,
        "pods": pods.paginator.count,
        "revisions": len(
            selectors.deployment_history(user=request.user, namespace=project.name, name=deployment)
        ),
        "services": selectors.services_selecting(user=request.user, project=project, labels=summary.selector),
    }
    return render(request, "workloads/delete.html", context)


@project_view()
def project_events(request: HttpRequest, project) -> HttpResponse:
    kind = request.GET.get("type", "") if request.GET.get("type") in ("Warning", "Normal") else ""
    search = request.GET.get("q", "").strip()[:100]
    events = selectors.project_events(user=request.user, project=project, kind=kind, search=search)
    context = {"project": project, "events": events, "type": kind, "search": search}
    template = "workloads/_project_events.html" if request.htmx else "workloads/events.html"
    return render(request, template, context)


# StatefulSets, Jobs and CronJobs ---------------------------------------------


def _controllers(request, project, kind: str) -> HttpResponse:
    context = {
        "project": project,
        "kind": kind,
        "label": controllers.KINDS[kind][1],
        "items": selectors.controller_list(user=request.user, project=project, kind=kind),
    }
    return render(request, "workloads/controllers.html", context)


def _controller(request, project, kind: str, name: str) -> HttpResponse:
    found, pods, jobs = selectors.controller_detail(user=request.user, project=project, kind=kind, name=name)
    context = {
        "project": project,
        "kind": kind,
        "item": found,
        "pods_page": {"object_list": pods},  # the pods list's rows, unpaginated
        "jobs": jobs,
        "can_edit": role_at_least(project.my_role, "edit"),
    }
    return render(request, "workloads/controller.html", context)


@project_view()
def statefulset_list(request: HttpRequest, project) -> HttpResponse:
    return _controllers(request, project, "statefulset")


@project_view()
def statefulset_detail(request: HttpRequest, project, statefulset: str) -> HttpResponse:
    return _controller(request, project, "statefulset", statefulset)


@project_view()
def job_list(request: HttpRequest, project) -> HttpResponse:
    return _controllers(request, project, "job")


@project_view()
def job_detail(request: HttpRequest, project, job: str) -> HttpResponse:
    return _controller(request, project, "job", job)


@project_view()
def cronjob_list(request: HttpRequest, project) -> HttpResponse:
    return _controllers(request, project, "cronjob")


@project_view()
def cronjob_detail(request: HttpRequest, project, cronjob: str) -> HttpResponse:
    return _controller(request, project, "cronjob", cronjob)


@project_view("edit", methods=SUBMIT)
def cronjob_run(request: HttpRequest, project, cronjob: str) -> HttpResponse:
    action = services.cronjob_run(user=request.user, project=project, name=cronjob)
    return redirect_to_action(action, follow=True)


# Commands run once in a deployment's environment, and its hooks ---------------------

LOG_CHUNK_LIMIT = 1000


@project_view("edit", methods=SUBMIT)
@existing_deployment
def deployment_run(request: HttpRequest, project, deployment: str) -> HttpResponse:
    form = RunCommandForm(request.POST)

    def refused(message: str) -> HttpResponse:
        # Back to the form with what was typed in it.
        if request.htmx:
            return _refused(request, project, deployment, message)
        messages.error(request, message)
        typed = quote(request.POST.get("command", "")[:2000])
        url = reverse("workloads:deployment", args=[project.name, deployment])
        return redirect(f"{url}?command={typed}#run-command")

    if not form.is_valid():
        return refused(" ".join(e for errors in form.errors.values() for e in errors))
    try:
        run = services.command_run_start(
            user=request.user,
            project=project,
            deployment=deployment,
            container=form.cleaned_data["container"],
            command=form.cleaned_data["command"],
            interactive=form.cleaned_data["interactive"],
        )
    except Refused as exc:
        return refused(str(exc))
    url = services.run_url(run)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@project_view("edit", methods=SUBMIT)
@existing_deployment
def deployment_hooks(request: HttpRequest, project, deployment: str) -> HttpResponse:
    form = HooksForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, project, deployment, " ".join(e for errors in form.errors.values() for e in errors)
        )
    try:
        action = services.deployment_hooks_set(
            user=request.user, project=project, name=deployment, **form.cleaned_data
        )
    except Refused as exc:
        return _refused(request, project, deployment, str(exc))
    return redirect_to_action(action, follow=True)


def _run_context(request, project, deployment: str, run: int) -> dict:
    found = selectors.command_run_get(project=project, deployment=deployment, pk=run)
    return {
        "project": project,
        "deployment": deployment,
        "run": found,
        "can_edit": role_at_least(project.my_role, "edit"),
    }


@project_view()
def run_detail(request: HttpRequest, project, deployment: str, run: int) -> HttpResponse:
    context = _run_context(request, project, deployment, run)
    context["ws_url"] = run_log_ws_url(run)
    context["chunk_url"] = reverse("workloads:run-log", args=[project.name, deployment, run])
    deployment_url = reverse("workloads:deployment", args=[project.name, deployment])
    context["again"] = f"{deployment_url}?command={quote(context['run'].command)}#run-command"
    return render(request, "workloads/run.html", context)


@project_view()
def run_log(request: HttpRequest, project, deployment: str, run: int) -> HttpResponse:
    """``?before=<seq>``: up to 1,000 earlier lines (JSON); else the whole log as text."""
    found = selectors.command_run_get(project=project, deployment=deployment, pk=run)
    if "before" not in request.GET:
        response = StreamingHttpResponse(
            selectors.command_log_text(run=found), content_type="text/plain; charset=utf-8"
        )
        if request.GET.get("download") == "1":
            response["Content-Disposition"] = f'attachment; filename="{slugify(deployment)}-run-{run}.log"'
        return response
    try:
        before = int(request.GET["before"])
    except ValueError:
        return JsonResponse({"message": "before is a number."}, status=400)
    return JsonResponse(
        {"lines": selectors.command_log_before(run=found, before=before, limit=LOG_CHUNK_LIMIT)}
    )


@project_view("edit")
def run_terminal(request: HttpRequest, project, deployment: str, run: int) -> HttpResponse:
    """An interactive run's terminal; once it ended, its page."""
    context = _run_context(request, project, deployment, run)
    found = context["run"]
    if found.kind != found.Kind.INTERACTIVE or found.is_finished:
        return redirect("workloads:run", name=project.name, deployment=deployment, run=run)
    context.update(
        socket_url=run_terminal_ws_url(project.name, run),
        idle_minutes=settings.BERTH_TERMINAL_IDLE_SECONDS // 60,
        action=found.action,
    )
    return render(request, "workloads/run_terminal.html", context)
