"""The cluster's image catalog and what a DeploymentConfig becomes, on their own."""

from __future__ import annotations

import json

import pytest

from catalog.images import NotInCatalog, catalog_image
from catalog.openshift import deployment_from_config
from workloads.hooks import Hook, hooks_of

CATALOG = {"python": {"3.9": "r/python:3.9", "3.11": "r/python:3.11"}, "redis": {"7": "r/redis:7"}}


def test_names_versions_and_latest(settings):
    settings.BERTH_IMAGE_CATALOG = CATALOG
    assert catalog_image("python:3.9") == "r/python:3.9"
    assert catalog_image("python:latest") == catalog_image("python") == "r/python:3.11"  # 3.11 > 3.9
    with pytest.raises(
        NotInCatalog, match=r"no python:3\.6; it has python:3\.9, python:3\.11, python:latest"
    ):
        catalog_image("python:3.6")
    with pytest.raises(NotInCatalog, match=r"no mysql \(it has python, redis\)"):
        catalog_image("mysql:8")


def _dc(**spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "DeploymentConfig",
        "metadata": {"name": "web", "labels": {"app": "shop"}},
        "spec": {
            "replicas": 2,
            "selector": {"name": "web"},
            "template": {
                "metadata": {"name": "web", "labels": {"name": "web"}},
                "spec": {"containers": [{"name": "web", "image": " "}, {"name": "cache", "image": " "}]},
            },
            "triggers": [
                {"type": "ConfigChange"},
                {
                    "type": "ImageChange",
                    "imageChangeParams": {
                        "automatic": True,
                        "containerNames": ["web"],
                        "from": {"kind": "ImageStreamTag", "name": "web:latest"},
                    },
                },
                {
                    "type": "ImageChange",
                    "imageChangeParams": {
                        "automatic": True,
                        "containerNames": ["cache"],
                        "from": {"kind": "ImageStreamTag", "namespace": "openshift", "name": "redis:7"},
                    },
                },
            ],
            **spec,
        },
    }


def test_a_deployment_config_becomes_a_deployment(settings):
    settings.BERTH_IMAGE_CATALOG = CATALOG
    deployment, problems = deployment_from_config(
        _dc(strategy={"type": "Recreate"}), project="shop", registry="reg:5000", resolve=catalog_image
    )
    assert problems == []
    assert deployment["apiVersion"] == "apps/v1" and deployment["kind"] == "Deployment"
    spec = deployment["spec"]
    assert spec["replicas"] == 2 and spec["selector"] == {"matchLabels": {"name": "web"}}
    assert spec["strategy"] == {"type": "Recreate"}
    containers = {c["name"]: c["image"] for c in spec["template"]["spec"]["containers"]}
    assert containers == {"web": "reg:5000/shop/web:latest", "cache": "r/redis:7"}
    triggers = json.loads(deployment["metadata"]["annotations"]["image.openshift.io/triggers"])
    assert triggers == [
        {
            "from": {"kind": "ImageStreamTag", "name": "web:latest"},
            "fieldPath": 'spec.template.spec.containers[?(@.name=="web")].image',
        }
    ]  # the project's own stream is followed; the catalog's image is not
    assert deployment["metadata"]["labels"] == {"app": "shop"}


def test_what_a_deployment_config_asks_that_berth_cannot_do_is_said(settings):
    settings.BERTH_IMAGE_CATALOG = CATALOG
    rolling = {"type": "Rolling", "rollingParams": {"maxSurge": "50%", "pre": {"failurePolicy": "Abort"}}}
    deployment, problems = deployment_from_config(
        _dc(strategy=rolling, test=True), project="shop", registry="r", resolve=catalog_image
    )
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%"}}
    assert "its pre-deploy hook has no command" in problems
    assert "a test deployment has no Kubernetes equivalent" in problems
    missing = _dc()
    missing["spec"]["triggers"][2]["imageChangeParams"]["from"]["name"] = "redis:5"
    _, problems = deployment_from_config(missing, project="shop", registry="r", resolve=catalog_image)
    assert problems == [
        "The cluster's image catalog has no redis:5; it has redis:7, redis:latest.",
        "its container cache has no image (and no image trigger gives it one)",
    ]


def test_a_deployment_configs_lifecycle_hooks_become_berths_hooks(settings):
    settings.BERTH_IMAGE_CATALOG = CATALOG
    rolling = {
        "type": "Rolling",
        "rollingParams": {
            "pre": {
                "failurePolicy": "Abort",
                "execNewPod": {
                    "containerName": "web",
                    "command": ["./manage.py", "migrate", "--noinput"],
                    "env": [{"name": "GREETING", "value": "it's me"}],
                    "volumes": ["data"],
                },
            },
            "post": {
                "failurePolicy": "Ignore",
                "execNewPod": {"containerName": "web", "command": ["echo", "done"]},
            },
        },
    }
    deployment, problems = deployment_from_config(
        _dc(strategy=rolling), project="shop", registry="r", resolve=catalog_image
    )
    assert problems == []
    found = hooks_of(deployment)
    assert found["pre-deploy"] == Hook(
        phase="pre-deploy",
        command="GREETING='it'\"'\"'s me' ./manage.py migrate --noinput",
        container="web",
        failure_policy="Abort",
    )
    assert found["post-deploy"].command == "echo done" and found["post-deploy"].failure_policy == "Ignore"


@pytest.mark.parametrize(
    ("hook", "problem"),
    [
        (
            {"failurePolicy": "Retry", "execNewPod": {"command": ["x"]}},
            "its pre-deploy hook's failurePolicy Retry",
        ),
        ({"execNewPod": {"command": []}}, "its pre-deploy hook has no command"),
        ({"tagImages": [{"containerName": "web"}]}, "its pre-deploy hook tags images"),
        (
            {"execNewPod": {"command": ["x"], "env": [{"name": "A", "valueFrom": {}}]}},
            "its pre-deploy hook's env A is not a plain value",
        ),
    ],
)
def test_a_lifecycle_hook_berth_cannot_run_is_said(settings, hook, problem):
    settings.BERTH_IMAGE_CATALOG = CATALOG
    rolling = {"type": "Rolling", "rollingParams": {"pre": hook, "mid": {"execNewPod": {"command": ["y"]}}}}
    deployment, problems = deployment_from_config(
        _dc(strategy=rolling), project="shop", registry="r", resolve=catalog_image
    )
    assert any(p.startswith(problem) for p in problems), problems
    assert "its mid hook has no equivalent in a Kubernetes rollout" in problems
    assert hooks_of(deployment) == {}
