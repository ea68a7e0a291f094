"""Commands run once in a deployment's environment, and its hooks, on the real node: a Job
from the deployment's own pod template, its log stored and followed like a build's, its
exit code recorded; an interactive one a terminal in a fresh pod; a pre-deploy hook that
fails keeps the old version serving."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from playwright.sync_api import expect

from actions.models import Action
from kube import identity_for_user
from tests.conftest import running_asgi_server
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, bind, make_deployment, running_pods, signed_in, wait_for
from workloads import cluster as cluster_workloads
from workloads import hooks, services
from workloads.commands import RUN_LABEL
from workloads.edit import Edit
from workloads.models import CommandRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GREETING = "hello from the app's environment"
LIMITS = {"cpu_request": "", "cpu_limit": "200m", "memory_request": "", "memory_limit": "128Mi"}


@pytest.fixture(scope="module")
def commands_server(django_db_setup, redis_url, berth_cluster, real_node):
    # As `make dev` runs it: the web process's own identity (a token) for the exec API.
    web = berth_cluster.plane.env()["KUBECONFIG_WEB"]
    with running_asgi_server(redis_url, name="asgi-server-commands", KUBECONFIG=web) as url:
        yield url


@pytest.fixture
def app(people, make_project, admin_client, real_node):
    """A real project (alice admins it, bob edits) with a running Deployment ``shell``
    whose environment says hello and names its version."""
    project = make_project(people["alice"], real=True)
    bind(admin_client, project, "edit", user="bob")
    make_deployment(
        admin_client,
        project,
        "shell",
        image=real_node.python_image,
        container={
            "name": "app",
            "command": ["sleep", "3600"],
            "env": [{"name": "GREETING", "value": GREETING}, {"name": "VERSION", "value": "1"}],
            "resources": {"limits": {"cpu": "200m", "memory": "128Mi"}},
        },
    )
    running = wait_for(
        lambda: running_pods(admin_client, project, "shell"), timeout=90, message="the app's pod running"
    )
    return project, running[0]


def _run_from_page(page, server: str, project: str, command: str, *, interactive: bool = False) -> None:
    page.goto(f"{server}/projects/{project}/deployments/shell/")
    page.get_by_test_id("run-command-input").fill(command)
    if interactive:
        page.get_by_test_id("run-interactive").check()
    page.get_by_test_id("run-submit").click()


def _run_pods(admin_client, project: str, run: CommandRun) -> list:
    core = client.CoreV1Api(admin_client)
    return core.list_namespaced_pod(project, label_selector=f"{RUN_LABEL}={run.pk}").items


def test_a_command_runs_in_the_apps_environment_and_its_exit_code_is_recorded(
    page, commands_server, celery_worker, app, people, admin_client
):
    project, serving_pod = app
    log_in(page, commands_server, "bob", PASSWORD)
    command = "python -c \"import os; print(os.environ['GREETING'])\""
    _run_from_page(page, commands_server, project, command)
    page.wait_for_url("**/deployments/shell/runs/*/")
    log = page.get_by_test_id("run-log")
    expect(log).to_contain_text(GREETING, timeout=90_000)  # the deployment's env, in a new pod
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "Succeeded", timeout=30_000)
    expect(log).to_contain_text("Exited with code 0")
    expect(page.get_by_test_id("run-exit-code")).to_have_text("0")  # live, not only after a reload
    page.screenshot(path=str(ARTIFACTS / "command-run.png"))
    run = CommandRun.objects.get(project=project)
    assert (run.exit_code, run.status, run.requested_by_name) == (0, "Succeeded", "bob")
    assert run.duration is not None and run.pod_name != serving_pod
    # Its pod is not one of the app's: no Service sends it traffic, no ReplicaSet adopts it.
    pod = client.CoreV1Api(admin_client).read_namespaced_pod(run.pod_name, project)
    assert "app" not in (pod.metadata.labels or {}) and pod.spec.containers[0].readiness_probe is None
    action = Action.objects.get(project=project, kind="deployment.command")
    assert (
        action.state == "succeeded" and GREETING not in action.message
    )  # activity: the command, not its output

    # The command is offered again; `exit 3` is recorded as 3, and its action failed.
    page.goto(f"{commands_server}/projects/{project}/deployments/shell/")
    expect(page.locator("#commands-offered option")).to_have_attribute("value", command)
    _run_from_page(page, commands_server, project, "echo about to fail; exit 3")
    page.wait_for_url("**/deployments/shell/runs/*/")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "Failed", timeout=90_000)
    expect(page.get_by_test_id("run-log")).to_contain_text("about to fail")
    expect(page.get_by_test_id("run-message")).to_contain_text("Exited with code 3")
    expect(page.get_by_test_id("run-exit-code")).to_have_text("3")
    failed = CommandRun.objects.filter(project=project).order_by("-pk").first()
    assert failed.exit_code == 3
    failed_action = wait_for(
        lambda: Action.objects.filter(pk=failed.action_id, state__in=Action.FINISHED).first(),
        message="the failed run's action to finish",
    )
    assert failed_action.state == "failed" and "code 3" in failed_action.message
    # The deployment's page lists both runs with their exit codes.
    page.goto(f"{commands_server}/projects/{project}/deployments/shell/")
    rows = page.get_by_test_id("run-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("3")
    expect(rows.nth(1)).to_contain_text("Succeeded")
    page.get_by_test_id("runs").screenshot(path=str(ARTIFACTS / "deployment-commands.png"))


def test_a_refused_command_is_said_where_it_was_typed_and_kept(page, commands_server, app, people, settings):
    project, _ = app
    log_in(page, commands_server, "bob", PASSWORD)
    _run_from_page(page, commands_server, project, "   ")
    expect(page.locator(".pf-v6-c-alert").first).to_contain_text("Say which command to run")
    # Over the project's limit of commands at once: said, and the command is still there.
    settings.BERTH_PROJECT_RUNS_AT_ONCE = 0
    web = signed_in(people["bob"])
    response = web.post(
        f"/projects/{project}/deployments/shell/run/", {"command": "python manage.py migrate"}, follow=True
    )
    page_text = response.content.decode()
    assert "has 0 commands running already" in page_text
    assert 'value="python manage.py migrate"' in page_text
    assert not CommandRun.objects.filter(project=project).exists()


def test_an_interactive_run_is_a_terminal_in_a_fresh_pod_deleted_when_it_ends(
    page, commands_server, celery_worker, app, people, admin_client
):
    project, serving_pod = app
    log_in(page, commands_server, "bob", PASSWORD)
    # Like `python manage.py shell`: an interpreter, in the app's environment.
    _run_from_page(page, commands_server, project, "python", interactive=True)
    page.wait_for_url("**/deployments/shell/runs/*/terminal/")
    terminal = page.get_by_test_id("terminal")
    expect(terminal).to_have_attribute("data-status", "open", timeout=90_000)
    terminal.click()
    page.keyboard.type("import os, socket; print(6 * 7, os.environ['VERSION'], socket.gethostname())")
    page.keyboard.press("Enter")
    screen = page.locator(".xterm-rows")
    expect(screen).to_contain_text("42 1 shell-run-")  # a pod of its own, not the serving one
    run = CommandRun.objects.get(project=project)
    assert run.kind == "interactive" and run.pod_name != serving_pod
    assert _run_pods(admin_client, project, run)
    page.keyboard.type("exit()")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("terminal-state")).to_contain_text("exited with code 0")
    run = wait_for(
        lambda: CommandRun.objects.filter(pk=run.pk, status="Succeeded").first(), message="the run finished"
    )
    assert run.exit_code == 0 and "Its pod was deleted" in run.message
    wait_for(lambda: not _run_pods(admin_client, project, run), timeout=60, message="the run's pod gone")
    # It opens once: the page of an ended run is the run's page.
    page.goto(f"{commands_server}/projects/{project}/deployments/shell/runs/{run.pk}/terminal/")
    page.wait_for_url(f"**/deployments/shell/runs/{run.pk}/")


def _edit(user, project: str, version: str):
    from projects import selectors as project_selectors

    body = cluster_workloads.deployment_object(identity_for_user(user), namespace=project, name="shell")
    edit = Edit(
        container="app",
        image=body["spec"]["template"]["spec"]["containers"][0]["image"],
        args=(),
        env={"GREETING": GREETING, "VERSION": version},
        resources=LIMITS,
        replicas=1,
    )
    subject = project_selectors.project_get(user=user, name=project)
    return services.deployment_edit(
        user=user, project=subject, name="shell", edit=edit, generation=body["metadata"]["generation"]
    )


def _finished(action: Action, timeout: float = 180) -> Action:
    return wait_for(
        lambda: Action.objects.filter(pk=action.pk, state__in=Action.FINISHED).first(),
        timeout=timeout,
        message=f"{action.kind} to finish",
    )


def _versions(admin_client, project: str) -> dict[str, str]:
    """Each pod of the deployment with the VERSION it runs."""
    core = client.CoreV1Api(admin_client)
    pods = core.list_namespaced_pod(project, label_selector="app=shell").items
    return {
        p.metadata.name: next(e.value for e in p.spec.containers[0].env if e.name == "VERSION")
        for p in pods
        if p.metadata.deletion_timestamp is None
    }


def test_a_failed_pre_deploy_hook_keeps_the_old_version_serving(
    commands_server, celery_worker, app, people, admin_client
):
    from projects import selectors as project_selectors

    project, serving_pod = app
    bob = people["bob"]
    subject = project_selectors.project_get(user=bob, name=project)
    # The "migration" fails for version 2 and passes for version 3, from the new template.
    hooked = services.deployment_hooks_set(
        user=bob,
        project=subject,
        name="shell",
        pre_deploy='echo "migrating to $VERSION"; test "$VERSION" != 2',
        post_deploy='echo "deployed $VERSION"',
    )
    assert _finished(hooked).state == "succeeded"

    broken = _finished(_edit(bob, project, "2"))
    assert broken.state == "failed", broken.message
    assert "pre-deploy hook failed (Exited with code 1" in broken.message
    assert "keeps serving its current version" in broken.message
    pre = CommandRun.objects.get(project=project, kind="pre-deploy")
    assert pre.exit_code == 1 and pre.log_lines.filter(text="migrating to 2").exists()
    # The broken release never took traffic: the old pod serves on, no pod ran version 2,
    # and the deployment runs on unpaused with its old template.
    assert _versions(admin_client, project) == {serving_pod: "1"}
    apps = client.AppsV1Api(admin_client)
    deployment = apps.read_namespaced_deployment("shell", project)
    assert not deployment.spec.paused
    assert {e.name: e.value for e in deployment.spec.template.spec.containers[0].env}["VERSION"] == "1"
    replica_sets = apps.list_namespaced_replica_set(project, label_selector="app=shell").items
    assert [rs.metadata.annotations["deployment.kubernetes.io/revision"] for rs in replica_sets] == ["1"]

    fixed = _finished(_edit(bob, project, "3"))
    assert fixed.state == "succeeded", fixed.message
    runs = {r.kind: r for r in CommandRun.objects.filter(project=project).exclude(pk=pre.pk)}
    assert runs["pre-deploy"].exit_code == 0 and runs["post-deploy"].exit_code == 0
    assert runs["post-deploy"].log_lines.filter(text="deployed 3").exists()
    versions = wait_for(
        lambda: (v := _versions(admin_client, project)) and set(v.values()) == {"3"} and v,
        timeout=90,
        message="version 3 serving alone",
    )
    assert serving_pod not in versions
    assert hooks.hooks_of(
        apps.api_client.sanitize_for_serialization(apps.read_namespaced_deployment("shell", project))
    ).keys() == {"pre-deploy", "post-deploy"}

    # A restart is a new version too: its pods wait for the hook.
    restarted = _finished(services.deployment_restart(user=bob, project=subject, name="shell"))
    assert restarted.state == "succeeded", restarted.message
    assert CommandRun.objects.filter(project=project, kind="pre-deploy", exit_code=0).count() == 2
    wait_for(
        lambda: not set(_versions(admin_client, project)) & set(versions),
        timeout=90,
        message="the restarted pods replacing version 3's first ones",
    )


def test_a_worker_taking_over_a_run_stores_the_rest_of_its_log_once(app, people, admin_client, berth_cluster):
    """The worker following a run died after storing 3 of its pod's lines: the next one
    (the same action, sent again) follows the same Job's pod and stores lines 4 to 8 only."""
    from workloads.tasks import CommandRunner

    project, _ = app
    bob = people["bob"]
    run = services.command_run_record(
        user=bob,
        project=project,
        deployment="shell",
        container="app",
        command="for i in 1 2 3 4 5; do echo line $i; done; sleep 3; for i in 6 7 8; do echo line $i; done",
        kind=CommandRun.Kind.COMMAND,
    )
    first = CommandRunner(run, identity_for_user(bob))
    pod = first.start()
    assert pod.name == run.pod_name
    # What the first worker stored before it died: its own two lines and 3 of the pod's.
    services.command_log_append(run=run, lines=["line 1", "line 2", "line 3"], pod_lines=3)

    again = CommandRun.objects.get(pk=run.pk)
    assert CommandRunner(again, identity_for_user(bob)).complete()
    texts = list(again.log_lines.order_by("seq").values_list("text", flat=True))
    pod_lines = [t for t in texts if t.startswith("line ")]
    assert pod_lines == [f"line {i}" for i in range(1, 9)], texts
    assert again.exit_code == 0 and again.pod_lines == 8
    assert list(again.log_lines.values_list("seq", flat=True).order_by("seq")) == list(
        range(1, len(texts) + 1)
    )


def test_a_new_image_waits_for_the_pre_deploy_hook_and_a_failing_one_never_serves(
    commands_server, celery_worker, app, people, admin_client
):
    """What a build's (or an image tag's) trigger does: the new image goes into the pod
    template with the deployment paused, and the release runs the hook first."""
    from builds import cluster as cluster_builds
    from projects import selectors as project_selectors

    project, serving_pod = app
    bob = people["bob"]
    subject = project_selectors.project_get(user=bob, name=project)
    apps, core = client.AppsV1Api(admin_client), client.CoreV1Api(admin_client)
    trigger = [
        {
            "from": {"kind": "ImageStreamTag", "name": "shell:latest"},
            "fieldPath": "spec.template.spec.containers[0].image",
        }
    ]
    apps.patch_namespaced_deployment(
        "shell", project, {"metadata": {"annotations": {"image.openshift.io/triggers": json.dumps(trigger)}}}
    )
    hooked = services.deployment_hooks_set(
        user=bob,
        project=subject,
        name="shell",
        pre_deploy="echo checking the new image; exit 4",
        post_deploy="",
    )
    assert _finished(hooked).state == "succeeded"
    # The same image by its digest: a new reference the real node can pull.
    old_image = apps.read_namespaced_deployment("shell", project).spec.template.spec.containers[0].image
    new_image = core.read_namespaced_pod(serving_pod, project).status.container_statuses[0].image_id
    new_image = new_image.removeprefix("docker-pullable://")
    assert "@sha256:" in new_image and new_image != old_image

    changed, gated = cluster_builds.deployments_follow_image(
        identity_for_user(bob), namespace=project, stream_tag="shell:latest", image=new_image
    )
    assert changed == gated == ["shell"]
    held = apps.read_namespaced_deployment("shell", project)
    assert held.spec.paused and held.spec.template.spec.containers[0].image == new_image
    build_action = Action.objects.create(
        kind="build.start", project=project, requested_by=bob, requested_by_name="bob"
    )
    [release] = services.deployment_release_start(action=build_action, names=gated, why="a new build")
    release = _finished(release)
    assert release.state == "failed" and "Exited with code 4" in release.message, release.message
    hook = CommandRun.objects.get(project=project, kind="pre-deploy")
    assert hook.log_lines.filter(text="checking the new image").exists()
    back = apps.read_namespaced_deployment("shell", project)
    assert not back.spec.paused and back.spec.template.spec.containers[0].image == old_image
    assert set(_versions(admin_client, project)) == {serving_pod}  # the old pod serves on
    replica_sets = apps.list_namespaced_replica_set(project, label_selector="app=shell").items
    assert len(replica_sets) == 1  # the new image never had a ReplicaSet, so never a pod
