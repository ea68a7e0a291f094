"""Reads: an object of the project as the person, and the kinds that have a YAML page."""

from __future__ import annotations

from kube import identity_for_user
from networking import cluster as networking_cluster
from objects import cluster as cluster_objects
from objects.cluster import Kind


def kinds() -> dict[str, Kind]:
    """What Berth lists, by the name its URLs use. Secrets are not here: their values are
    revealed one by one, and each reveal is recorded (configs)."""
    if networking_cluster.route_kind() == "Route":
        route = Kind("route", "route.openshift.io/v1", "routes", "Route")
    else:
        route = Kind("route", "networking.k8s.io/v1", "ingresses", "Ingress")
    return {
        kind.name: kind
        for kind in (
            Kind("deployment", "apps/v1", "deployments", "Deployment"),
            Kind("pod", "v1", "pods", "Pod"),
            Kind("statefulset", "apps/v1", "statefulsets", "StatefulSet"),
            Kind("job", "batch/v1", "jobs", "Job"),
            Kind("cronjob", "batch/v1", "cronjobs", "CronJob"),
            Kind("service", "v1", "services", "Service"),
            route,
            Kind("volume", "v1", "persistentvolumeclaims", "PersistentVolumeClaim"),
            Kind("configmap", "v1", "configmaps", "ConfigMap"),
        )
    }


def object_get(*, user, project, kind: Kind, name: str) -> dict:
    return cluster_objects.object_get(identity_for_user(user), kind=kind, namespace=project.name, name=name)
