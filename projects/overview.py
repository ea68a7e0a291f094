"""The project overview's apps: what runs in the project, grouped as people think of it.

An app is the Deployments sharing an ``app`` label (Import from Git, the deploy form and
templates set it), with their pods, images, the URLs of the routes that reach them and the
newest build of the build config of the same name; the apps a template made are listed
together, under its name. Everything is read as the person; what they may not list is
left out rather than failing the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from builds.models import Build
from kube import ClusterError
from networking import selectors as networking_selectors
from workloads import selectors as workload_selectors


@dataclass
class App:
    name: str
    deployments: list = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    last_build: Build | None = None

    @property
    def ready(self) -> int:
        return sum(d.ready for d in self.deployments)

    @property
    def desired(self) -> int:
        return sum(d.desired for d in self.deployments)

    @property
    def template(self) -> str:
        """The template that made it (its deployments' "template" label), or ""."""
        return next((d.template for d in self.deployments if d.template), "")

    @property
    def images(self) -> list[str]:
        return sorted({image for d in self.deployments for image in d.images})


def project_apps(*, user, project) -> list[App]:
    try:
        deployments = workload_selectors.deployment_list(user=user, namespace=project.name)
    except ClusterError:
        return []
    apps: dict[str, App] = {}
    for deployment in deployments:
        name = deployment.selector.get("app", deployment.name)
        apps.setdefault(name, App(name)).deployments.append(deployment)
    try:
        services = networking_selectors.service_list(user=user, project=project)
        routes = networking_selectors.route_list(user=user, project=project)
    except ClusterError:
        services, routes = [], []
    for app in apps.values():
        # The routes whose service picks this app's pods.
        picked = {
            s.name
            for s in services
            if s.selector
            and any(all(d.selector.get(k) == v for k, v in s.selector.items()) for d in app.deployments)
        }
        app.urls = sorted(r.url for r in routes if r.service in picked and r.url)
    for app in apps.values():
        app.last_build = (
            Build.objects.filter(config__project=project.name, config__name=app.name)
            .order_by("-number")
            .first()
        )
    # A template's apps together (a web app beside its database), then the others.
    return sorted(apps.values(), key=lambda a: (a.template == "", a.template, a.name))
