"""Reads. Builds live in Berth's database; who may see them is the project's role,
asked of the cluster (``projects.selectors.project_get``) as the person."""

from __future__ import annotations

from django.db.models import QuerySet

from builds.models import Build, BuildConfig, BuildLogLine, WebhookDelivery
from console import logstore
from kube import ClusterError
from networking import selectors as network_selectors
from projects import selectors as project_selectors
from workloads import selectors as workload_selectors


def build_config_list(*, project) -> QuerySet[BuildConfig]:
    """The configs of a project the caller was let into (``project_view``)."""
    return BuildConfig.objects.filter(project=project.name).prefetch_related("builds")


def build_config_get(*, project, name: str) -> BuildConfig | None:
    return BuildConfig.objects.filter(project=project.name, name=name).first()


def build_list(*, config: BuildConfig) -> QuerySet[Build]:
    return config.builds.all()


def build_get(*, config: BuildConfig, number: int) -> Build | None:
    return config.builds.filter(number=number).select_related("config").first()


def build_get_for_user(*, user, pk: int) -> Build | None:
    """A build, if the person has a role in its project (for the websocket)."""
    build = Build.objects.select_related("config").filter(pk=pk).first()
    if build is None or not user.is_authenticated:
        return None
    try:
        project_selectors.project_get(user=user, name=build.config.project)
    except ClusterError:
        return None
    return build


def build_refresh(*, pk: int) -> Build:
    return Build.objects.select_related("config").get(pk=pk)


def build_last_seq(*, build_id: int) -> int:
    return Build.objects.filter(pk=build_id).values_list("last_seq", flat=True).first() or 0


def build_log_rendered(
    *, build_id: int, after: int, limit: int, until: int | None = None
) -> list[list[int | str]]:
    """Stored lines after ``after`` as ``[seq, escaped html]``."""
    return logstore.rendered(
        BuildLogLine.objects.filter(build_id=build_id), after=after, limit=limit, until=until
    )


def build_log_before(*, build: Build, before: int, limit: int) -> list[list[int | str]]:
    return logstore.before(BuildLogLine.objects.filter(build=build), before=before, limit=limit)


def build_log_text(*, build: Build):
    """Every stored line, as plain text, a chunk at a time (for the raw download)."""
    return logstore.text(BuildLogLine.objects.filter(build=build))


def webhook_deliveries(*, config: BuildConfig) -> QuerySet[WebhookDelivery]:
    return config.deliveries.all()


def rollout(*, user, project, config: BuildConfig) -> list[dict]:
    """The deployments following the config's image (from the watch cache, after the
    person's access check), each with the URLs of the routes to its service."""
    followers = [
        d
        for d in workload_selectors.deployment_list(user=user, namespace=project.name)
        if config.stream_tag in d.follows
    ]
    if not followers:
        return []
    try:
        routes = network_selectors.route_list(user=user, project=project)
    except ClusterError:
        routes = []
    return [{"deployment": d, "urls": [r.url for r in routes if r.service == d.name]} for d in followers]
