"""An app deployed through Berth really runs, and its route's URL opens it in Chromium.

On the devcluster's real node: the Python image from Debian's packages, a
command typed in the deploy form, the expose form, and the route URL Berth
shows, opened in the browser through the local router.
"""

from __future__ import annotations

import pytest
from kubernetes import client
from playwright.sync_api import expect

from tests.conftest import running_asgi_server
from tests.e2e.test_networking import submit_and_follow
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, wait_for
from tools.dev import berth_settings_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def routed_server(django_db_setup, redis_url, berth_cluster, real_node):
    """Berth as `make dev` runs it on the local cluster: routes under the router's apps
    domain and port (the session's server keeps the defaults other tests expect)."""
    cluster = berth_cluster.plane.env()
    settings = berth_settings_for(cluster)
    settings["KUBECONFIG"] = settings["BERTH_WEB_KUBECONFIG"]  # the web process's own identity
    with running_asgi_server(redis_url, name="asgi-server-routed", **settings) as url:
        yield url, settings


def ready_pod(admin_client, namespace: str, app: str):
    """The app's pod once it runs and its container is ready, else None."""
    pods = client.CoreV1Api(admin_client).list_namespaced_pod(namespace, label_selector=f"app={app}").items
    for pod in pods:
        statuses = pod.status.container_statuses or []
        if pod.status.phase == "Running" and statuses and all(s.ready for s in statuses):
            return pod
    return None


def test_deploy_expose_and_open_the_route(
    page, routed_server, celery_worker, people, make_project, admin_client, real_node
):
    base, settings = routed_server
    project = make_project(people["alice"], real=True)
    log_in(page, base, "alice", PASSWORD)

    page.goto(f"{base}/projects/{project}/deployments/new/")
    page.fill("input[name=name]", "web")
    page.fill("input[name=image]", real_node.python_image)
    page.fill("input[name=port]", "8080")
    page.fill("input[name=command]", "python3 -m http.server 8080")
    submit_and_follow(page, "deploy-submit", rf"/projects/{project}/deployments/web/$")
    pod = wait_for(lambda: ready_pod(admin_client, project, "web"), timeout=90, message="web running")
    assert pod.spec.node_name == real_node.name

    page.goto(f"{base}/projects/{project}/routes/")
    expose = page.get_by_test_id("expose-form")
    expose.locator("select[name=deployment]").select_option("web")
    expose.locator("input[name=port]").fill("8080")
    submit_and_follow(page, "expose-submit", rf"/projects/{project}/routes/$")

    link = page.get_by_test_id("route-url").first
    url = link.get_attribute("href")
    assert url == f"http://web-{project}.{settings['BERTH_APPS_DOMAIN']}:{settings['BERTH_ROUTER_HTTP_PORT']}"

    # The project's overview lists the app: its deployment, ready pods, image and URL.
    page.goto(f"{base}/projects/{project}/")
    app = page.locator("[data-testid=app-row][data-app=web]")
    expect(app.get_by_test_id("app-url")).to_have_attribute("href", url)
    expect(app.get_by_test_id("app-ready")).to_have_text("1 of 1")
    expect(app).to_contain_text(real_node.python_image)
    page.screenshot(path=str(ARTIFACTS / "project-overview-apps.png"), full_page=True)

    page.goto(url)
    expect(page.locator("body")).to_contain_text("Directory listing for /", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "real-app-through-its-route.png"))


def test_a_deploy_whose_image_cant_be_pulled_fails_with_the_kubelets_reason(
    celery_worker, people, make_project, real_node
):
    from actions.models import Action
    from projects import selectors as project_selectors
    from workloads import services as workload_services

    project = make_project(people["alice"], real=True)
    missing = real_node.python_image.rsplit("/berth/", 1)[0] + "/berth/never-built:1"
    action = workload_services.deployment_create(
        user=people["alice"],
        project=project_selectors.project_get(user=people["alice"], name=project),
        name="web",
        image=missing,
        replicas=1,
        port=8080,
        env={},
    )
    action = wait_for(
        lambda: Action.objects.filter(pk=action.pk, state__in=["succeeded", "failed"]).first(),
        timeout=120,
        message="the deploy to finish",
    )
    # Not "created": the kubelet could not pull the image, and the action says so in its words.
    assert action.state == "failed", action.message
    assert action.message.startswith("Deployment web created, but pod web-"), action.message
    assert (
        "ErrImagePull" in action.message or "ImagePullBackOff" in action.message
    ) and missing in action.message
    assert action.message.endswith("(0 of 1 pod ready)."), action.message
