"""Berth's Redis template really runs on the real node, and another pod of the project
reaches it through its Service by name (the cluster's DNS and kube-proxy, for real)."""

from __future__ import annotations

import pytest
from kubernetes import client

from actions.models import Action
from catalog import services
from catalog.selectors import bundled_templates
from projects import selectors as project_selectors
from tests.helpers import wait_for
from tools.dev import image_catalog_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_redis_template_runs_and_answers_by_its_service_name(
    people, make_project, admin_client, berth_cluster, real_node, celery_worker, settings
):
    settings.BERTH_IMAGE_CATALOG = image_catalog_for(berth_cluster.plane.env())
    alice = people["alice"]
    project = make_project(alice, real=True)
    target = project_selectors.project_get(user=alice, name=project)
    text = bundled_templates()["redis-ephemeral"].text
    action = services.template_instantiate(
        user=alice, project=target, text=text, values={"DATABASE_SERVICE_NAME": "cache"}
    )
    action = wait_for(
        lambda: Action.objects.filter(pk=action.pk, state__in=("succeeded", "failed")).first(), timeout=60
    )
    assert action.state == "succeeded", action.message
    core = client.CoreV1Api(admin_client)

    def ready():
        for pod in core.list_namespaced_pod(project, label_selector="name=cache").items:
            statuses = pod.status.container_statuses or []
            if pod.status.phase == "Running" and statuses and all(s.ready for s in statuses):
                return pod
        return None

    pod = wait_for(ready, timeout=180, message="redis to run and be ready (its port answers)")
    assert pod.spec.node_name == real_node.name

    # Another pod of the project asks it by the Service's name.
    client.BatchV1Api(admin_client).create_namespaced_job(
        project,
        {
            "metadata": {"name": "ping"},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "ping",
                                "image": settings.BERTH_IMAGE_CATALOG["redis"]["7"],
                                "command": ["redis-cli", "-h", "cache", "-p", "6379", "ping"],
                                "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
                            }
                        ],
                    }
                },
            },
        },
    )
    wait_for(
        lambda: (
            (client.BatchV1Api(admin_client).read_namespaced_job("ping", project).status.succeeded or 0) == 1
        ),
        timeout=120,
        message="the ping job to succeed",
    )
    ping = core.list_namespaced_pod(project, label_selector="job-name=ping").items[0]
    log = core.read_namespaced_pod_log(ping.metadata.name, project, _preload_content=False).data.decode()
    assert log.strip() == "PONG"
