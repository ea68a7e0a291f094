"""Commands run once in a deployment's environment, and its hooks: the pure parts (the Job
made from a deployment, the hooks' annotations, what is refused) and the rows Berth keeps.
What really runs is in tests/e2e/test_commands.py, on the real node."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from actions.refusal import Refused
from console.logstore import within_limit
from kube import NotFound
from workloads import hooks, selectors
from workloads.commands import RUN_LABEL, SHELL, run_job_body, run_job_name
from workloads.models import CommandRun
from workloads.services import check_command
from workloads.tasks import interactive_runs_expire


def _deployment(**annotations) -> dict:
    return {
        "metadata": {"name": "web", "annotations": annotations},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {
                    "labels": {"app": "web"},
                    "annotations": {"kubectl.kubernetes.io/restartedAt": "x"},
                },
                "spec": {
                    "serviceAccountName": "app",
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
                    "imagePullSecrets": [{"name": "pull"}],
                    "containers": [
                        {
                            "name": "web",
                            "image": "reg/shop/web@sha256:1",
                            "args": ["gunicorn", "app:app"],
                            "env": [{"name": "GREETING", "value": "hi"}],
                            "envFrom": [{"secretRef": {"name": "db"}}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            "readinessProbe": {"httpGet": {"path": "/", "port": 8080}},
                            "livenessProbe": {"httpGet": {"path": "/", "port": 8080}},
                            "ports": [{"containerPort": 8080}],
                        },
                        {"name": "proxy", "image": "envoy:1"},
                    ],
                },
            },
        },
    }


def test_a_runs_job_is_the_deployments_pod_template_with_the_command_and_nothing_that_serves():
    deployment = _deployment()
    body = run_job_body(
        deployment,
        run_id=7,
        job="web-run-7",
        container="web",
        command=[*SHELL, "migrate"],
        deadline=60,
        keep=600,
    )
    assert body["spec"]["backoffLimit"] == 0
    assert body["spec"]["activeDeadlineSeconds"] == 60 and body["spec"]["ttlSecondsAfterFinished"] == 600
    template = body["spec"]["template"]
    # Its own labels: no Service selects it and no ReplicaSet adopts it.
    assert template["metadata"]["labels"] == {
        RUN_LABEL: "7",
        "berth.io/deployment": "web",
        "app.kubernetes.io/managed-by": "berth",
    }
    spec = template["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["serviceAccountName"] == "app" and spec["imagePullSecrets"] == [{"name": "pull"}]
    assert spec["volumes"] == deployment["spec"]["template"]["spec"]["volumes"]
    [container] = spec["containers"]  # the sidecar would keep the Job running
    assert container["command"] == ["/bin/sh", "-c", "migrate"] and "args" not in container
    assert container["image"] == "reg/shop/web@sha256:1"
    assert container["env"] == [{"name": "GREETING", "value": "hi"}]
    assert container["envFrom"] == [{"secretRef": {"name": "db"}}]
    assert container["volumeMounts"] == [{"name": "data", "mountPath": "/data"}]
    assert "readinessProbe" not in container and "livenessProbe" not in container
    # The deployment itself is unchanged.
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == ["gunicorn", "app:app"]


def test_a_run_in_a_container_the_deployment_lacks_is_not_found():
    with pytest.raises(NotFound, match="no container nope"):
        run_job_body(_deployment(), run_id=1, job="j", container="nope", command=["x"], deadline=1, keep=1)


def test_a_runs_job_name_fits_the_cluster():
    assert run_job_name("web", 12) == "web-run-12"
    long = run_job_name("a" * 63, 123456)
    assert len(long) == 63 and long.endswith("-run-123456")


@pytest.mark.parametrize(
    ("command", "interactive", "refused"),
    [
        ("", False, "Say which command"),
        ("   ", False, "Say which command"),
        ("x" * 2001, False, "at most 2,000"),
        ("echo \x00", False, "NUL"),
    ],
)
def test_a_command_berth_does_not_run_is_refused_with_why(command, interactive, refused):
    with pytest.raises(Refused, match=refused):
        check_command(command, interactive=interactive)


def test_an_interactive_run_may_have_no_command_a_shell():
    assert check_command("  ", interactive=True) == ""
    assert check_command(" python manage.py shell ", interactive=False) == "python manage.py shell"


def test_hooks_are_read_from_their_annotations_and_what_is_not_a_hook_is_ignored():
    pre = hooks.Hook("pre-deploy", "python manage.py migrate --noinput", "web").annotation()
    deployment = _deployment(
        **{"berth.io/pre-deploy": pre, "berth.io/post-deploy": json.dumps({"command": ""})}
    )
    assert hooks.hooks_of(deployment) == {
        "pre-deploy": hooks.Hook("pre-deploy", "python manage.py migrate --noinput", "web", "Abort")
    }
    assert hooks.hooks_of(_deployment(**{"berth.io/pre-deploy": "not json"})) == {}
    odd = json.dumps({"command": "x", "failurePolicy": "Retry", "container": 3})
    assert hooks.hooks_of(_deployment(**{"berth.io/pre-deploy": odd}))["pre-deploy"] == hooks.Hook(
        "pre-deploy", "x", "", "Abort"
    )


def test_a_hook_holds_a_new_template_paused_for_its_release():
    for phase in ("pre-deploy", "post-deploy"):
        annotation = {f"berth.io/{phase}": hooks.Hook(phase, "migrate").annotation()}
        assert hooks.gated(_deployment(**annotation))["spec"]["paused"] is True
    assert "paused" not in hooks.gated(_deployment())["spec"]


def test_a_log_stops_at_its_limit_with_a_marker():
    kept, size = within_limit(0, ["12345", "67890", "abc"], limit=8, marker="[stop]")
    assert kept == ["12345", "[stop]"] and size == 8
    assert within_limit(8, ["more"], limit=8, marker="[stop]") == ([], 8)


@pytest.mark.django_db
def test_commands_offered_are_the_persons_own_newest_first_once_each():
    bob, carol = (get_user_model().objects.create_user(n) for n in ("bob", "carol"))

    def ran(user, command, kind="command", deployment="web"):
        CommandRun.objects.create(
            project="shop",
            deployment=deployment,
            container="web",
            command=command,
            kind=kind,
            requested_by=user,
            requested_by_name=user.username,
        )

    ran(bob, "python manage.py migrate")
    ran(bob, "python manage.py shell", kind="interactive")
    ran(bob, "python manage.py migrate")
    ran(bob, "echo hook", kind="pre-deploy")  # a hook is not something bob typed
    ran(bob, "ls", deployment="worker")
    ran(carol, "rm -rf /tmp/x")

    class Project:
        name = "shop"

    offered = selectors.commands_offered(user=bob, project=Project, deployment="web")
    assert offered == ["python manage.py migrate", "python manage.py shell"]


@pytest.mark.django_db
def test_an_interactive_run_no_terminal_ended_is_failed_after_its_deadline(settings):
    settings.BERTH_RUN_INTERACTIVE_SECONDS = 60
    old = CommandRun.objects.create(
        project="shop", deployment="web", container="web", command="", kind="interactive", status="Running"
    )
    CommandRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(seconds=180))
    fresh = CommandRun.objects.create(
        project="shop", deployment="web", container="web", command="", kind="interactive", status="Running"
    )
    assert interactive_runs_expire() == [old.pk]
    old.refresh_from_db()
    assert old.status == "Failed" and "after 60 s" in old.message
    fresh.refresh_from_db()
    assert fresh.status == "Running"
