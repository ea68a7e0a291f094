"""Berth's bundled templates really run on the real node: Redis, which another pod of the
project reaches through its Service by name (the cluster's DNS and kube-proxy, for real),
and Django + PostgreSQL, built from Git, on a volume, answering at its route's URL."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from kubernetes import client
from playwright.sync_api import expect

from actions.models import Action
from builds.models import Build
from catalog import services
from catalog.selectors import bundled_templates, sample_values
from projects import selectors as project_selectors
from tests.e2e.test_real_builds import (  # noqa: F401 - fixtures
    BUILD_TIMEOUT,
    log_text,
    real_builds,
    routed_server,
    through_router,
)
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, wait_for
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


@contextlib.contextmanager
def explained(core, namespace: str):
    """A failure inside says what the namespace's pods and events say."""
    try:
        yield
    except AssertionError as exc:
        lines = []
        for pod in core.list_namespaced_pod(namespace).items:
            states = [
                (s.name, s.ready, s.restart_count, s.state.to_dict())
                for s in pod.status.container_statuses or []
            ]
            lines.append(f"pod {pod.metadata.name} {pod.status.phase} on {pod.spec.node_name}: {states}")
        for event in core.list_namespaced_event(namespace).items[-30:]:
            about = f"{event.involved_object.kind}/{event.involved_object.name}"
            lines.append(f"event {about}: {event.reason} {event.message}")
        for build in Build.objects.filter(config__project=namespace):
            lines.append(f"build {build.name} {build.status}: {build.message}")
            lines += [f"  {line}" for line in log_text(build).splitlines()[-15:]]
        raise AssertionError(f"{exc}\n" + "\n".join(lines)) from None


def test_django_and_postgresql_from_the_catalog_build_run_connected_and_answer_at_their_url(
    page,
    routed_server,  # noqa: F811 - the fixture imported above
    real_builds,  # noqa: F811
    celery_worker,
    people,
    make_project,
    admin_client,
    real_node,
    settings,
):
    """The issue's "done when": pick Django + PostgreSQL, fill two fields, and the app is
    built, migrates, connects to its database on a volume and answers at its URL."""
    settings.BERTH_IMAGE_CATALOG = json.loads(real_builds["BERTH_IMAGE_CATALOG"])
    project = make_project(people["alice"], real=True)
    log_in(page, routed_server, "alice", PASSWORD)
    page.goto(f"{routed_server}/projects/{project}/templates/deploy/")
    page.get_by_test_id("bundled-django-psql-persistent").click()
    expect(page.get_by_test_id("template-title")).to_have_text("Django + PostgreSQL")
    # The sample the devcluster's Git server offers is the default repository.
    expect(page.locator("input[name=p-SOURCE_REPOSITORY_URL]")).to_have_value(
        f"{real_node.git_server}django-psql.git"
    )
    page.locator("input[name=p-NAME]").fill("shop")
    page.locator("input[name=p-DATABASE_NAME]").fill("shopdb")
    page.get_by_test_id("template-deploy").click()
    expect(page.get_by_test_id("made-objects")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("template-message")).to_contain_text("shop")
    page.screenshot(path=str(ARTIFACTS / "catalog-django-deployed.png"), full_page=True)

    # The overview lists the template's apps together: the app with its build and its
    # route's URL, and its database.
    page.goto(f"{routed_server}/projects/{project}/")
    rows = page.get_by_test_id("app-row")
    expect(rows).to_have_count(2)
    for row in (rows.nth(0), rows.nth(1)):
        expect(row.get_by_test_id("app-template")).to_have_text("from the template django-psql-persistent")
    app = page.locator("[data-testid=app-row][data-app=shop]")
    database = page.locator("[data-testid=app-row][data-app=postgresql]")
    core = client.CoreV1Api(admin_client)
    with explained(core, project):
        # The overview is a snapshot: read again until both run.
        wait_for(
            lambda: (
                page.reload()
                and [r.get_by_test_id("app-ready").inner_text() for r in (app, database)] == ["1 of 1"] * 2
            ),
            timeout=BUILD_TIMEOUT,
            interval=3,
            message="the app and its database ready on the overview",
        )
    expect(app).to_contain_text("shop-1")
    url = app.get_by_test_id("app-url").get_attribute("href")
    assert url.startswith(f"http://shop-{project}.")
    page.screenshot(path=str(ARTIFACTS / "catalog-django-overview.png"), full_page=True)

    page.goto(url)
    body = page.locator("body")
    expect(body).to_contain_text("Welcome to your Django application", timeout=30_000)
    expect(body).to_contain_text("Database: postgresql")
    expect(body).to_contain_text("Page views: 1")
    page.reload()
    expect(body).to_contain_text("Page views: 2")  # kept in PostgreSQL
    page.screenshot(path=str(ARTIFACTS / "catalog-django-app.png"))

    # Its database runs on the real node with its data on a volume.
    claim = core.read_namespaced_persistent_volume_claim("postgresql", project)
    assert claim.status.phase == "Bound"
    assert Path(core.read_persistent_volume(claim.spec.volume_name).spec.host_path.path).is_dir()
    database = core.list_namespaced_pod(project, label_selector="name=postgresql").items
    assert [p.spec.node_name for p in database] == [real_node.name]

    # The issue 14's "done when": `python manage.py shell` in the app's own environment (an
    # interactive run: a fresh pod from the app's template), talking to its database.
    page.goto(f"{routed_server}/projects/{project}/deployments/shop/")
    page.get_by_test_id("run-command-input").fill("python manage.py shell")
    page.get_by_test_id("run-interactive").check()
    page.get_by_test_id("run-submit").click()
    terminal = page.get_by_test_id("terminal")
    wait_for(lambda: terminal.get_attribute("data-status"), timeout=120, message="the terminal to connect")
    state = page.get_by_test_id("terminal-state").inner_text()
    assert terminal.get_attribute("data-status") == "open", (
        f"{state}\n{page.locator('.xterm-rows').inner_text()}"
    )
    terminal.click()
    page.keyboard.type(
        "from django.db import connection; connection.ensure_connection(); print(connection.vendor, 6 * 7)"
    )
    page.keyboard.press("Enter")
    expect(page.locator(".xterm-rows")).to_contain_text("postgresql 42", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "django-manage-shell.png"))
    page.keyboard.type("exit()")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("terminal-state")).to_contain_text("exited with code 0")


@pytest.mark.parametrize(
    ("template", "answer"),
    [
        # The web app hands 2 + 3 to the worker through Redis and shows who computed it.
        ("python-celery-redis", "2 + 3 = 5, computed by worker web-worker-"),
        ("flask", "Hello from Flask"),
    ],
)
def test_the_other_bundled_apps_build_run_and_answer_at_their_route(
    template,
    answer,
    routed_server,  # noqa: F811 - the fixture imported above
    real_builds,  # noqa: F811
    celery_worker,
    people,
    make_project,
    admin_client,
    real_node,
    settings,
):
    settings.BERTH_IMAGE_CATALOG = json.loads(real_builds["BERTH_IMAGE_CATALOG"])
    alice = people["alice"]
    project = make_project(alice, real=True)
    target = project_selectors.project_get(user=alice, name=project)
    bundled = bundled_templates()[template]
    values = {"NAME": "web", **sample_values(bundled.template)}
    assert values["SOURCE_REPOSITORY_URL"].startswith(real_node.git_server)
    action = services.template_instantiate(user=alice, project=target, text=bundled.text, values=values)
    action = wait_for(
        lambda: Action.objects.filter(pk=action.pk, state__in=("succeeded", "failed")).first(), timeout=60
    )
    assert action.state == "succeeded", action.message
    host = f"web-{project}.{real_node.apps_domain}"
    with explained(client.CoreV1Api(admin_client), project):
        body = wait_for(
            lambda: answer in (text := through_router(real_node.router_url, host)) and text,
            timeout=240,  # within the test's own timeout (a failure then says why)
            interval=2,
            message=f"{host} to answer {answer!r}",
        )
    assert answer in body
