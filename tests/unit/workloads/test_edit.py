"""A deployment's edit form: what it starts from, what it changes, what it leaves alone."""

from __future__ import annotations

import copy

import pytest

from workloads.edit import Edit, changes, edited, initial, other_probes
from workloads.forms import EditDeploymentForm

pytestmark = pytest.mark.unit


def deployment() -> dict:
    return {
        "metadata": {"name": "web", "generation": 4},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "web:1",
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "env": [
                                {"name": "MODE", "value": "prod"},
                                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "t", "key": "k"}}},
                            ],
                            "envFrom": [
                                {"configMapRef": {"name": "settings"}},
                                {"prefix": "DB_", "secretRef": {"name": "db"}},
                            ],
                            "readinessProbe": {
                                "httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"},
                                "periodSeconds": 5,
                            },
                            "livenessProbe": {"exec": {"command": ["true"]}},
                        }
                    ]
                }
            },
        },
    }


def edit_of(start: dict, **change) -> Edit:
    values = {
        "container": start["container"],
        "image": start["image"],
        "args": tuple(start["args"]),
        "env": start["env"],
        "resources": start["resources"],
        "replicas": start["replicas"],
        "env_from": tuple(start["env_from"]),
        "readiness_path": start["readiness_path"],
        "liveness_path": start["liveness_path"],
        "probe_port": start["probe_port"],
        "strategy": start["strategy"],
    }
    return Edit(**{**values, **change})


def test_the_form_starts_from_what_it_can_show():
    start = initial(deployment())
    assert start["env_from"] == ["configmap:settings"]  # a prefixed source is not the form's
    assert (start["readiness_path"], start["liveness_path"], start["probe_port"]) == ("/ready", "", "8080")
    assert start["strategy"] == "RollingUpdate"
    assert other_probes(deployment(), "web") == ["livenessProbe"]


def test_an_unchanged_form_changes_nothing():
    before = deployment()
    after = edited(before, edit_of(initial(before)))
    assert after == before and changes(before, after) == []


def test_sources_probes_and_strategy_change_and_the_rest_stays():
    before = deployment()
    change = edit_of(
        initial(before),
        env_from=("secret:api-keys",),
        readiness_path="/healthz",
        liveness_path="/alive",
        probe_port="http",
        strategy="Recreate",
    )
    after = edited(before, change)
    container = after["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [
        {"prefix": "DB_", "secretRef": {"name": "db"}},
        {"secretRef": {"name": "api-keys"}},
    ]
    # The probe's timings and scheme stay; the exec probe is replaced only because a path was given.
    assert container["readinessProbe"] == {
        "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
        "periodSeconds": 5,
    }
    assert container["livenessProbe"] == {"httpGet": {"path": "/alive", "port": "http"}}
    assert after["spec"]["strategy"] == {"type": "Recreate"}
    assert container["env"][1]["valueFrom"]  # a single value from a Secret is kept
    rows = {(c.where, c.what) for c in changes(before, after)}
    assert rows == {
        ("container web", "env from"),
        ("container web", "readiness probe"),
        ("container web", "liveness probe"),
        ("deployment", "strategy"),
    }


def test_an_empty_path_removes_an_http_probe_and_keeps_one_of_another_kind():
    before = deployment()
    after = edited(before, edit_of(initial(before), readiness_path="", liveness_path=""))
    container = after["spec"]["template"]["spec"]["containers"][0]
    assert "readinessProbe" not in container
    assert container["livenessProbe"] == {"exec": {"command": ["true"]}}


def test_an_action_queued_before_these_fields_keeps_them():
    before = deployment()
    old = edit_of(initial(before), image="web:2").to_dict()
    for key in ("env_from", "readiness_path", "liveness_path", "probe_port", "strategy"):
        old.pop(key)
    after = edited(before, Edit.from_dict(old))
    expected = copy.deepcopy(before)
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = "web:2"
    assert after == expected
    assert Edit.from_dict(edit_of(initial(before)).to_dict()) == edit_of(initial(before))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"readiness_path": "healthz"}, "readiness_path", "starting with /"),
        ({"liveness_path": "/a b"}, "liveness_path", "starting with /"),
        ({"probe_port": "70000"}, "probe_port", "between 1 and 65535"),
        ({"probe_port": "Not_A_Name"}, "probe_port", "container port's name"),
        ({"probe_port": "", "readiness_path": "/r"}, "probe_port", "Give the port"),
        ({"env_from": ["secret:elsewhere"]}, "env_from", "Select a valid choice"),
        ({"strategy": "Canary"}, "strategy", "Select a valid choice"),
    ],
)
def test_bad_values_are_refused_at_their_field(change, field, message):
    data = {
        **EditDeploymentForm.initial_from(initial(deployment())),
        "command": "",
        "readiness_path": "/ready",
        **change,
    }
    form = EditDeploymentForm(
        data, container_names=["web"], sources=["configmap:settings", "secret:api-keys"]
    )
    assert not form.is_valid()
    assert message in " ".join(form.errors[field]), form.errors
