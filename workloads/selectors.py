"""Reads on workloads: the shared caches, after asking the cluster whether the person may see them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator

from configs import selectors as configs_selectors
from console import logstore
from kube import Forbidden, NotFound, Unavailable, identity_for_user
from networking import selectors as networking_selectors
from projects import selectors as project_selectors
from workloads import cluster as cluster_workloads
from workloads import commands, controllers, hooks
from workloads.models import CommandLogLine, CommandRun

POD_SORTS = {
    "name": lambda p: p.name,
    "status": lambda p: (p.status, p.name),
    "restarts": lambda p: (-p.restarts, p.name),
    "age": lambda p: (-(p.created_ts or 0), p.name),
    "node": lambda p: (p.node, p.name),
}


@dataclass(frozen=True)
class PodQuery:
    search: str = ""
    status: str = ""
    sort: str = "name"
    page: int = 1
    owner: str = ""  # only the pods of one deployment: its name

    @classmethod
    def from_params(cls, params) -> PodQuery:
        sort = params.get("sort", "name")
        try:
            page = max(1, int(params.get("page", 1)))
        except (TypeError, ValueError):
            page = 1
        return cls(
            search=params.get("q", "").strip()[:100],
            status=params.get("status", "").strip()[:40],
            sort=sort if sort in POD_SORTS else "name",
            page=page,
            owner=params.get("owner", "")[:253],
        )


def _informer(user, namespace: str, resource: str):
    identity = identity_for_user(user)
    if not cluster_workloads.can_list(identity, namespace=namespace, resource=resource):
        raise Forbidden(f"You may not list {resource} in {namespace}.")
    informer = (
        cluster_workloads.pods_informer if resource == "pods" else cluster_workloads.deployments_informer
    )(namespace)
    if not informer.wait_synced(timeout=15):
        raise Unavailable(f"The list of {resource} did not load from the cluster in time.")
    return informer


def pod_page(*, user, namespace: str, query: PodQuery, deployment_selector: dict | None = None):
    pods = _informer(user, namespace, "pods").snapshot()
    if deployment_selector is not None:
        pods = [p for p in pods if p.matches(deployment_selector)]
    if query.search:
        pods = [p for p in pods if query.search.lower() in p.name]
    statuses = sorted({p.status for p in pods})
    if query.status:
        pods = [p for p in pods if p.status == query.status]
    pods.sort(key=POD_SORTS[query.sort])
    page = Paginator(pods, settings.BERTH_PODS_PAGE_SIZE).get_page(query.page)
    return page, statuses


def deployment_list(*, user, namespace: str):
    return sorted(_informer(user, namespace, "deployments").snapshot(), key=lambda d: d.name)


def deployment_summary(*, user, namespace: str, name: str):
    summary = _informer(user, namespace, "deployments").get(name)
    if summary is None:
        raise NotFound(f"No deployment named {name}.")
    return summary


def pod_detail(*, user, project, name: str) -> cluster_workloads.PodDetail:
    return cluster_workloads.pod_get(identity_for_user(user), namespace=project.name, name=name)


def events_for(*, user, project, kind: str, name: str) -> list[cluster_workloads.Event]:
    return cluster_workloads.events_for(identity_for_user(user), namespace=project.name, kind=kind, name=name)


def pod_log(*, user, project, name: str, container: str | None, previous: bool, timestamps: bool) -> str:
    """A container's log for download, as the person: from its start, up to
    ``BERTH_LOG_DOWNLOAD_BYTES`` (a line then says where it was cut)."""
    limit = settings.BERTH_LOG_DOWNLOAD_BYTES
    text = cluster_workloads.pod_log(
        identity_for_user(user),
        namespace=project.name,
        name=name,
        container=container,
        previous=previous,
        tail_lines=None,
        timestamps=timestamps,
        limit_bytes=limit + 1,  # one more byte tells a log of exactly the limit from a longer one
    )
    if len(text.encode()) <= limit:
        return text
    kept = text.encode()[:limit].decode("utf-8", "ignore").rpartition("\n")[0]
    return (
        f"{kept}\n[Berth: the download stops here, at the {limit:,}-byte limit (BERTH_LOG_DOWNLOAD_BYTES).]\n"
    )


def deployment_history(*, user, namespace: str, name: str) -> list[cluster_workloads.Revision]:
    return cluster_workloads.deployment_history(identity_for_user(user), namespace=namespace, name=name)


def deployment_rollback_plan(*, user, project, name: str, revision: int) -> tuple[dict, dict]:
    """The deployment's pod template now, and the one rolling back to ``revision`` would give."""
    return cluster_workloads.deployment_rollback_plan(
        identity_for_user(user), namespace=project.name, name=name, revision=revision
    )


def live_list_role(*, user, project: str, resource: str) -> str | None:
    """The person's role in the project if they may watch a live list (a role, and the
    cluster's own "list" permission on the resource, asked as them, cached briefly)."""
    try:
        role = project_selectors.project_get(user=user, name=project).my_role
    except NotFound:
        return None
    return (
        role
        if cluster_workloads.can_list(identity_for_user(user), namespace=project, resource=resource)
        else None
    )


def live_informers(*, project: str, resource: str) -> list:
    """The shared caches a live list follows: a deployment's page shows its pods too."""
    if resource == "pods":
        return [cluster_workloads.pods_informer(project)]
    return [cluster_workloads.deployments_informer(project), cluster_workloads.pods_informer(project)]


def pod_log_follow(*, user, project: str, pod: str, container, tail_lines: int, timestamps: bool, on_open):
    """The lines of a pod's log as the person writes them (a generator: nothing is read
    until it is iterated; the person's identity is resolved now, in the caller's thread)."""
    return cluster_workloads.pod_log_follow(
        identity_for_user(user),
        namespace=project,
        name=pod,
        container=container,
        tail_lines=tail_lines,
        timestamps=timestamps,
        on_open=on_open,
    )


def deployment_object(*, user, namespace: str, name: str) -> dict:
    return cluster_workloads.deployment_object(identity_for_user(user), namespace=namespace, name=name)


# ConfigMaps the cluster puts in every namespace: not an app's settings.
CLUSTER_MADE = {"kube-root-ca.crt", "openshift-service-ca.crt"}


def env_sources(*, user, project) -> list[str]:
    """The project's Secrets and ConfigMaps a container may take its environment from, as
    ``secret:NAME`` and ``configmap:NAME`` (the Secrets only when the person may list them)."""
    found = []
    for kind in ("secret", "configmap"):
        listed = configs_selectors.config_list(user=user, project=project, kind=kind) or []
        found += [f"{kind}:{item.name}" for item in listed if item.name not in CLUSTER_MADE]
    return found


def services_selecting(*, user, project, labels: dict[str, str]) -> list[str]:
    """The project's Services whose selector picks pods with ``labels`` (a deployment's)."""
    return [
        service.name
        for service in networking_selectors.service_list(user=user, project=project)
        if service.selector and all(labels.get(k) == v for k, v in service.selector.items())
    ]


def project_events(*, user, project, kind: str = "", search: str = "") -> list[cluster_workloads.Event]:
    """The project's events, warnings first; ``kind`` keeps Warning or Normal ones, ``search``
    those whose object, reason or message has it."""
    events = cluster_workloads.project_events(identity_for_user(user), namespace=project.name)
    if kind:
        events = [e for e in events if e.type == kind]
    if search:
        needle = search.lower()
        events = [e for e in events if needle in f"{e.kind}/{e.name} {e.reason} {e.message}".lower()]
    return events


def controller_list(*, user, project, kind: str) -> list[controllers.Controller]:
    """The project's StatefulSets, Jobs or CronJobs, as the person."""
    return controllers.controller_list(identity_for_user(user), namespace=project.name, kind=kind)


def controller_detail(*, user, project, kind: str, name: str):
    """A StatefulSet, Job or CronJob; its pods (a CronJob's: none) and a CronJob's Jobs."""
    identity = identity_for_user(user)
    found = controllers.controller_read(identity, namespace=project.name, kind=kind, name=name)
    pods = controllers.pods_of(identity, namespace=project.name, selector=found.selector)
    jobs = (
        controllers.jobs_of_cronjob(identity, namespace=project.name, name=name) if kind == "cronjob" else []
    )
    return found, pods, jobs


# Commands run once in a deployment's environment ------------------------------------

RECENT_RUNS = 10
COMMANDS_OFFERED = 10


def command_runs(*, project, deployment: str) -> list[CommandRun]:
    """The deployment's newest runs (project_view checked the person's role)."""
    return list(CommandRun.objects.filter(project=project.name, deployment=deployment)[:RECENT_RUNS])


def commands_offered(*, user, project, deployment: str) -> list[str]:
    """The commands the person ran in the deployment before, newest first, each once."""
    seen: list[str] = []
    rows = CommandRun.objects.filter(
        project=project.name, deployment=deployment, requested_by=user, kind__in=("command", "interactive")
    ).values_list("command", flat=True)
    for command in rows[:200]:
        if command and command not in seen:
            seen.append(command)
        if len(seen) == COMMANDS_OFFERED:
            break
    return seen


def command_run_get(*, project, deployment: str, pk: int) -> CommandRun:
    run = CommandRun.objects.filter(project=project.name, deployment=deployment, pk=pk).first()
    if run is None:
        raise NotFound(f"No run {pk} of {deployment} in {project.name}.")
    return run


def command_run_for_user(*, user, pk: int) -> CommandRun | None:
    """A run, if the person has a role in its project (for the websocket)."""
    run = CommandRun.objects.filter(pk=pk).first()
    if (
        run is None
        or not user.is_authenticated
        or not project_selectors.has_role(user=user, name=run.project)
    ):
        return None
    return run


def command_last_seq(*, run_id: int) -> int:
    return CommandRun.objects.filter(pk=run_id).values_list("last_seq", flat=True).first() or 0


def command_log_rendered(*, run_id: int, after: int, limit: int, until: int | None = None) -> list:
    return logstore.rendered(
        CommandLogLine.objects.filter(run_id=run_id), after=after, limit=limit, until=until
    )


def command_log_before(*, run: CommandRun, before: int, limit: int) -> list:
    return logstore.before(CommandLogLine.objects.filter(run=run), before=before, limit=limit)


def command_log_text(*, run: CommandRun):
    return logstore.text(CommandLogLine.objects.filter(run=run))


@dataclass(frozen=True)
class RunSettings:
    containers: list[str]
    pre_deploy: str  # the hooks' commands, "" for none
    post_deploy: str


def deployment_run_settings(*, user, project, name: str) -> RunSettings:
    """Its containers and hooks, for the deployment page's Commands (one read)."""
    body = deployment_object(user=user, namespace=project.name, name=name)
    found = hooks.hooks_of(body)
    return RunSettings(
        containers=commands.container_names(body),
        pre_deploy=found[hooks.PRE].command if hooks.PRE in found else "",
        post_deploy=found[hooks.POST].command if hooks.POST in found else "",
    )
