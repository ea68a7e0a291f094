"""Instantiating a template into a project on the real control plane, as the person: the
whole template checked by the API server's dry run first, then made by one action."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from actions.models import Action
from actions.refusal import Refused
from actions.tasks import run_action
from catalog import services
from catalog import tasks as catalog_tasks
from catalog.processing import template_process, template_read
from projects import selectors as project_selectors
from tests.helpers import bind, signed_in, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

TEMPLATE = {
    "kind": "Template",
    "apiVersion": "template.openshift.io/v1",
    "metadata": {"name": "greeter"},
    "message": "Greeter ${NAME} answers on port 8080; its key is ${API_KEY}.",
    "labels": {"app": "${NAME}"},
    "objects": [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "${NAME}-settings"},
            "data": {"GREETING": "${GREETING}"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "${NAME}-keys"},
            "stringData": {"API_KEY": "${API_KEY}"},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "${NAME}"},
            "spec": {"ports": [{"port": 8080}], "selector": {"app": "${NAME}"}},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "${NAME}"},
            "spec": {
                "replicas": "${{REPLICAS}}",
                "selector": {"matchLabels": {"app": "${NAME}"}},
                "template": {
                    "metadata": {"labels": {"app": "${NAME}"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "greeter:1",
                                "envFrom": [{"configMapRef": {"name": "${NAME}-settings"}}],
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "64Mi"},
                                    "limits": {"cpu": "100m", "memory": "64Mi"},
                                },
                            }
                        ]
                    },
                },
            },
        },
    ],
    "parameters": [
        {"name": "NAME", "required": True, "value": "greeter"},
        {"name": "GREETING", "value": "hello"},
        {"name": "REPLICAS", "value": "2"},
        {"name": "API_KEY", "generate": "expression", "from": "[a-f0-9]{32}"},
    ],
}


@pytest.fixture
def project(people, make_project, admin_client):
    """alice admin, bob viewer."""
    name = make_project(people["alice"])
    bind(admin_client, name, "view", user="bob")
    return name


def _instantiate(user, project: str, template: dict = TEMPLATE, **values: str) -> Action:
    target = project_selectors.project_get(user=user, name=project)
    return services.template_instantiate(user=user, project=target, text=json.dumps(template), values=values)


def _ended(action: Action) -> Action:
    return wait_for(
        lambda: Action.objects.filter(pk=action.pk, state__in=("succeeded", "failed")).first(),
        timeout=60,
        message="the action to end",
    )


def test_a_template_is_made_by_one_action_as_the_person(people, project, admin_client, celery_worker):
    action = _ended(_instantiate(people["alice"], project))
    assert action.state == "succeeded", action.message
    assert action.message.startswith(
        "Made ConfigMap greeter-settings, Secret greeter-keys, Service greeter, Deployment greeter."
    )
    assert "its key is" not in action.message  # the template's message is not the project's to read
    key = action.parameters["message"].rsplit("its key is ", 1)[1].rstrip(".")
    assert len(key) == 32
    core, apps = client.CoreV1Api(admin_client), client.AppsV1Api(admin_client)
    deployment = apps.read_namespaced_deployment("greeter", project)
    assert deployment.spec.replicas == 2 and deployment.metadata.labels == {"app": "greeter"}
    assert core.read_namespaced_config_map("greeter-settings", project).data == {"GREETING": "hello"}
    assert core.read_namespaced_service("greeter", project).metadata.labels == {"app": "greeter"}
    assert action.requested_by_name == "alice"
    # The action's page goes on to what was made (recorded before its worker could end it).
    assert action.next_url == f"/projects/{project}/templates/made/{action.pk}/"


def test_everything_wrong_is_said_before_anything_is_made(people, project, admin_client):
    client.CoreV1Api(admin_client).create_namespaced_config_map(
        project, {"metadata": {"name": "greeter-settings"}}
    )
    elsewhere = json.loads(json.dumps(TEMPLATE))
    elsewhere["objects"][1]["metadata"]["namespace"] = "${TARGET}"
    elsewhere["parameters"].append({"name": "TARGET", "value": "kube-system"})
    elsewhere["objects"].append(
        {"apiVersion": "example.org/v1", "kind": "Frobnicator", "metadata": {"name": "f"}}
    )
    elsewhere["objects"].append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mine"}})
    elsewhere["objects"].append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "x-"}})
    with pytest.raises(Refused) as refused:
        _instantiate(people["alice"], project, elsewhere, REPLICAS="-1")
    said = str(refused.value)
    assert said.startswith("Nothing was made: ")
    assert f"ConfigMap greeter-settings exists already in {project}." in said
    assert (
        f"Secret greeter-keys names the namespace kube-system: a template makes objects only in {project}."
        in said
    )
    assert "Frobnicator f: The cluster serves no Frobnicator in example.org/v1." in said
    assert "Namespace mine is not an object of a project" in said
    assert "ConfigMap ?: every object of a template needs an apiVersion, a kind and a name." in said
    assert "Deployment greeter:" in said and "replicas" in said  # the API server's own words
    assert not Action.objects.exists()
    assert (
        client.CoreV1Api(admin_client).list_namespaced_secret(project, label_selector="app=greeter").items
        == []
    )


def test_a_bad_name_from_a_parameter_is_refused_at_its_field(people, project):
    with pytest.raises(Refused, match="Service Not_A_Name:"):
        _instantiate(people["alice"], project, NAME="Not_A_Name")
    with pytest.raises(Refused, match="NAME is required") as refused:
        _instantiate(people["alice"], project, NAME="")
    assert refused.value.field == "NAME"
    assert not Action.objects.exists()


def test_a_viewer_cannot_instantiate(people, project):
    with pytest.raises(Refused, match="needs the edit role"):
        _instantiate(people["bob"], project)
    assert not Action.objects.exists()


def test_an_object_made_meanwhile_fails_the_action_with_what_was_made_and_a_retry_finishes(
    people, project, admin_client
):
    processed = template_process(template_read(json.dumps(TEMPLATE)), {})
    action = Action.objects.create(
        kind="template.instantiate",
        project=project,
        target="template/greeter",
        requested_by=people["alice"],
        requested_by_name="alice",
        parameters={"template": "greeter", "objects": processed.objects, "message": ""},  # as planned
    )
    core = client.CoreV1Api(admin_client)
    # Checked and queued, then someone else makes the Service before the worker gets there.
    core.create_namespaced_service(
        project, {"metadata": {"name": "greeter"}, "spec": {"ports": [{"port": 80}]}}
    )
    run_action(action.pk, catalog_tasks.template_instantiate)
    action.refresh_from_db()
    assert (action.state, action.message) == (
        "failed",
        "Made ConfigMap greeter-settings, Secret greeter-keys. Not made: Service greeter, "
        "Deployment greeter — Service greeter: Service greeter exists already",
    )
    # Sent again (as a takeover would) once that Service is gone: what this action made is
    # known by its annotation and kept; the rest is made.
    core.delete_namespaced_service("greeter", project)
    wait_for(lambda: not core.list_namespaced_service(project).items, message="the Service to go")
    Action.objects.filter(pk=action.pk).update(state="queued")
    run_action(action.pk, catalog_tasks.template_instantiate)
    action.refresh_from_db()
    assert action.state == "succeeded", action.message
    assert action.message.startswith("Made ConfigMap greeter-settings, Secret greeter-keys, Service greeter")


def test_the_deploy_page_reads_a_template_then_asks_for_its_parameters(
    people, project, admin_client, celery_worker
):
    alice = signed_in(people["alice"])
    url = f"/projects/{project}/templates/deploy/"
    assert 'data-testid="template-form"' in alice.get(url).content.decode()
    assert signed_in(people["bob"]).get(url).status_code == 403  # a viewer deploys nothing

    bad = alice.post(url, {"text": "kind: [unclosed"}).content.decode()
    assert 'data-testid="error-text"' in bad and "neither JSON nor YAML" in bad
    assert "kind: [unclosed" in bad  # what was typed is kept

    text = json.dumps(TEMPLATE)
    read = alice.post(url, {"text": text}).content.decode()
    assert 'data-testid="parameter-NAME"' in read and 'value="greeter"' in read
    assert "Generated if empty ([a-f0-9]{32})." in read
    assert not Action.objects.exists()

    refused = alice.post(url, {"text": text, "deploy": "1", "p-NAME": "Not_A_Name"}).content.decode()
    assert 'data-testid="deploy-error"' in refused and "Nothing was made: " in refused
    assert 'value="Not_A_Name"' in refused  # kept for correcting
    assert not Action.objects.exists()

    required = json.loads(text)
    required["parameters"].append({"name": "OWNER", "displayName": "Owner", "required": True})
    missing = alice.post(url, {"text": json.dumps(required), "deploy": "1"}).content.decode()
    assert 'data-testid="error-OWNER"' in missing

    started = alice.post(url, {"text": text, "deploy": "1", "p-NAME": "hello", "p-REPLICAS": "1"})
    assert started.status_code == 302
    action = _ended(Action.objects.get(kind="template.instantiate"))
    assert action.state == "succeeded" and action.message.startswith("Made ConfigMap hello-settings")

    # Its result: every object with its page; the template's message only for whoever asked.
    result = f"/projects/{project}/templates/made/{action.pk}/"
    assert action.next_url == result
    page = alice.get(result).content.decode()
    assert page.count('data-testid="made-object"') == 4
    assert f'href="/projects/{project}/deployments/hello/"' in page
    assert f'href="/projects/{project}/config/secret/hello-keys/"' in page
    assert 'data-testid="template-message"' in page and "Greeter hello answers on port 8080" in page
    bind(admin_client, project, "edit", user="carol")
    other_editor = signed_in(people["carol"]).get(result).content.decode()
    assert 'data-testid="made-object"' in other_editor and "its key is" not in other_editor
    assert signed_in(people["bob"]).get(result).status_code == 403
    assert alice.get(f"/projects/{project}/templates/made/999999/").status_code == 404


def test_an_openshift_route_becomes_a_berth_route_with_the_routes_pages_rules(
    people, project, make_project, admin_client, celery_worker, settings
):
    from networking.models import RouteHost

    routed = json.loads(json.dumps(TEMPLATE))
    routed["objects"].append(
        {
            "apiVersion": "v1",
            "kind": "Route",
            "metadata": {"name": "${NAME}"},
            "spec": {"to": {"kind": "Service", "name": "${NAME}"}},
        }
    )
    action = _ended(_instantiate(people["alice"], project, routed))
    assert action.state == "succeeded", action.message
    assert "Route greeter" in action.message
    host = f"greeter-{project}.{settings.BERTH_APPS_DOMAIN}"  # no host: the project's default
    ingress = client.NetworkingV1Api(admin_client).read_namespaced_ingress("greeter", project)
    rule = ingress.spec.rules[0]
    assert rule.host == host and rule.http.paths[0].backend.service.port.number == 8080
    assert RouteHost.objects.filter(host=host, namespace=project, name="greeter").exists()

    # Another project's template asks for that host (under the apps domain: only Berth
    # gives those), and for one a route of the first project uses: both refused before
    # anything is made, as on the Routes page.
    client.NetworkingV1Api(admin_client).create_namespaced_ingress(
        project,
        {
            "metadata": {"name": "shop"},
            "spec": {
                "rules": [{"host": "shop.example.org"}],
                "defaultBackend": {"service": {"name": "greeter", "port": {"number": 8080}}},
            },
        },
    )
    other = make_project(people["alice"])
    taken = json.loads(json.dumps(routed))
    taken["objects"][-1]["spec"]["host"] = host
    taken["objects"].append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "side"},
            "spec": {
                "rules": [{"host": "shop.example.org"}],
                "defaultBackend": {"service": {"name": "greeter", "port": {"number": 8080}}},
            },
        }
    )
    with pytest.raises(Refused) as refused:
        _instantiate(people["alice"], other, taken)
    said = str(refused.value)
    assert f"Route greeter: Host names under {settings.BERTH_APPS_DOMAIN} are given by Berth" in said
    assert "Ingress side: shop.example.org is already used by a route in another project." in said
    portless = json.loads(json.dumps(routed))
    portless["objects"][-1]["spec"]["to"]["name"] = "nowhere"
    with pytest.raises(Refused, match=r"the port in spec\.port\.targetPort"):
        _instantiate(people["alice"], other, portless)


def test_templates_saved_in_a_project_are_listed_deployed_and_deleted(
    people, project, admin_client, celery_worker, settings
):
    alice = signed_in(people["alice"])
    url = f"/projects/{project}/templates/deploy/"
    text = json.dumps(TEMPLATE)
    saved = alice.post(url, {"text": text, "save": "1"})
    assert saved.status_code == 302 and saved["Location"] == f"{url}?saved=greeter"
    page = alice.get(saved["Location"]).content.decode()
    assert 'data-testid="saved-greeter"' in page and 'data-testid="parameter-NAME"' in page
    assert 'data-testid="template-save"' not in page  # it is saved already
    assert alice.post(url, {"text": text, "save": "1"}).content.decode().count("is saved already") == 1
    settings.BERTH_TEMPLATES_PER_PROJECT = 1
    other = json.loads(text)
    other["metadata"]["name"] = "second"
    full = alice.post(url, {"text": json.dumps(other), "save": "1"}).content.decode()
    assert f"{project} keeps 1 templates, the most a catalog may (BERTH_TEMPLATES_PER_PROJECT)" in full
    assert alice.get(f"{url}?saved=nothing").status_code == 404

    # Deployed from the catalog, like a pasted one; the saving is in the project's activity.
    started = alice.post(f"{url}?saved=greeter", {"text": text, "deploy": "1", "p-NAME": "again"})
    assert started.status_code == 302
    assert _ended(Action.objects.get(kind="template.instantiate")).state == "succeeded"
    assert Action.objects.filter(kind="template.save", target="template/greeter").exists()

    viewer = signed_in(people["bob"])
    assert viewer.post(f"/projects/{project}/templates/saved/greeter/delete/").status_code == 403
    assert alice.post(f"/projects/{project}/templates/saved/greeter/delete/").status_code == 302
    assert 'data-testid="saved-templates"' not in alice.get(url).content.decode()
    gone = alice.post(f"/projects/{project}/templates/saved/greeter/delete/")
    assert gone.status_code == 302  # deleting what is gone changes nothing
    assert Action.objects.filter(kind="template.delete", target="template/greeter").count() == 1


def _deployment_config(container: str, image_from: dict, strategy: str = "Rolling") -> dict:
    """A DeploymentConfig named ${NAME} whose one container's image comes from ``image_from``."""
    return {
        "apiVersion": "v1",
        "kind": "DeploymentConfig",
        "metadata": {"name": "${NAME}"},
        "spec": {
            "replicas": 1,
            "selector": {"name": "${NAME}"},
            "strategy": {"type": strategy},
            "template": {
                "metadata": {"labels": {"name": "${NAME}"}},
                "spec": {
                    "containers": [
                        {
                            "name": container,
                            "image": " ",
                            "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
            "triggers": [
                {
                    "type": "ImageChange",
                    "imageChangeParams": {
                        "automatic": True,
                        "containerNames": [container],
                        "from": image_from,
                    },
                },
                {"type": "ConfigChange"},
            ],
        },
    }


def test_a_deployment_config_and_its_image_stream_become_what_berth_has(
    people, project, admin_client, berth_cluster, celery_worker, settings
):
    from tools.dev import image_catalog_for

    settings.BERTH_IMAGE_CATALOG = image_catalog_for(berth_cluster.plane.env())
    redis_image = settings.BERTH_IMAGE_CATALOG["redis"]["7"]
    openshift_kinds = {
        "kind": "Template",
        "apiVersion": "v1",
        "metadata": {"name": "cache"},
        "objects": [
            {"apiVersion": "v1", "kind": "ImageStream", "metadata": {"name": "${NAME}"}},
            _deployment_config(
                "redis",
                {"kind": "ImageStreamTag", "namespace": "${NAMESPACE}", "name": "redis:${VERSION}"},
                "Recreate",
            ),
        ],
        "parameters": [
            {"name": "NAME", "value": "cache"},
            {"name": "NAMESPACE", "value": "openshift"},
            {"name": "VERSION", "value": "7"},
        ],
    }
    action = _ended(_instantiate(people["alice"], project, openshift_kinds))
    assert (action.state, action.message) == ("succeeded", "Made ImageStream cache, Deployment cache.")
    deployment = client.AppsV1Api(admin_client).read_namespaced_deployment("cache", project)
    assert deployment.spec.template.spec.containers[0].image == redis_image
    assert deployment.spec.strategy.type == "Recreate" and deployment.spec.selector.match_labels == {
        "name": "cache"
    }

    with pytest.raises(Refused) as refused:
        _instantiate(people["alice"], project, openshift_kinds, NAME="other", VERSION="5")
    assert (
        "DeploymentConfig other: The cluster's image catalog has no redis:5; it has redis:7, redis:latest."
        in str(refused.value)
    )
    built = {
        **openshift_kinds,
        "objects": [{"apiVersion": "v1", "kind": "BuildConfig", "metadata": {"name": "b"}}],
    }
    with pytest.raises(Refused, match="BuildConfig b: only a Git source is built"):
        _instantiate(people["alice"], project, built)


def test_a_build_config_builds_and_its_deployment_config_rolls_the_image_out(
    people, project, admin_client, berth_cluster, celery_worker, settings, tmp_path
):
    """Shaped like sclorg's quickstarts: an ImageStream, a BuildConfig from the catalog's
    python builder with a GitHub webhook secret, and a DeploymentConfig following the stream."""
    from builds.models import Build, BuildConfig
    from tests.cluster.test_builds import FLASK_APP, git_repo
    from tools.dev import image_catalog_for

    settings.BERTH_IMAGE_CATALOG = image_catalog_for(berth_cluster.plane.env())
    url = git_repo(tmp_path / "repo", FLASK_APP)
    quickstart = {
        "kind": "Template",
        "apiVersion": "v1",
        "metadata": {"name": "shop"},
        "labels": {"template": "shop-quickstart"},
        "objects": [
            {"apiVersion": "v1", "kind": "ImageStream", "metadata": {"name": "${NAME}"}},
            {
                "apiVersion": "v1",
                "kind": "BuildConfig",
                "metadata": {"name": "${NAME}"},
                "spec": {
                    "source": {"type": "Git", "git": {"uri": "${SOURCE_REPOSITORY_URL}", "ref": "main"}},
                    "strategy": {
                        "type": "Source",
                        "sourceStrategy": {
                            "from": {
                                "kind": "ImageStreamTag",
                                "namespace": "openshift",
                                "name": "python:3.11",
                            },
                            "env": [{"name": "PIP_INDEX_URL", "value": ""}],
                        },
                    },
                    "output": {"to": {"kind": "ImageStreamTag", "name": "${NAME}:latest"}},
                    "triggers": [
                        {"type": "ConfigChange"},
                        {"type": "GitHub", "github": {"secret": "${GITHUB_WEBHOOK_SECRET}"}},
                    ],
                    "postCommit": {"script": "python -c 'import shop'"},
                },
            },
            _deployment_config("web", {"kind": "ImageStreamTag", "name": "${NAME}:latest"}),
        ],
        "parameters": [
            {"name": "NAME", "value": "shop"},
            {"name": "SOURCE_REPOSITORY_URL", "required": True},
            {"name": "GITHUB_WEBHOOK_SECRET", "generate": "expression", "from": "[a-zA-Z0-9]{40}"},
        ],
    }
    action = _ended(_instantiate(people["alice"], project, quickstart, SOURCE_REPOSITORY_URL=url))
    assert (action.state, action.message) == (
        "succeeded",
        "Made ImageStream shop, BuildConfig shop, Deployment shop.",
    )
    config = BuildConfig.objects.get(project=project, name="shop")
    assert config.builder_image == settings.BERTH_IMAGE_CATALOG["python"]["3.11"]
    assert config.output_image == f"{settings.BERTH_BUILD_REGISTRY}/{project}/shop:latest"
    assert config.post_commit == "python -c 'import shop'" and config.trigger_config_change
    assert len(config.github_secret) == 40 and config.github_secret.isalnum()  # the template's, generated
    build = wait_for(lambda: Build.objects.filter(config=config).first(), message="its first build")
    apps = client.AppsV1Api(admin_client)
    # No pod before the image exists (none would pull, and their quota could keep the
    # build from starting): the deployment waits for the build, as OpenShift's does.
    assert apps.read_namespaced_deployment("shop", project).spec.replicas == 0

    # The build completes (simulated on kwok's nodes) and the Deployment follows its image.
    build = wait_for(
        lambda: Build.objects.filter(pk=build.pk, status="Complete").first(), timeout=120, message="the build"
    )
    expected = f"{config.output_repository}@{build.image_digest}"
    wait_for(
        lambda: (
            apps.read_namespaced_deployment("shop", project).spec.template.spec.containers[0].image
            == expected
        ),
        timeout=60,
        message="the deployment to roll out the built image",
    )
    assert apps.read_namespaced_deployment("shop", project).spec.replicas == 1  # then its own
    # The project's overview shows the app with the template that made it and its build.
    overview = signed_in(people["alice"]).get(f"/projects/{project}/").content.decode()
    assert 'data-app="shop"' in overview
    assert 'data-testid="app-template">from the template shop-quickstart' in overview
    assert f"/projects/{project}/builds/shop/{build.number}/" in overview


@pytest.mark.parametrize("name", ["postgresql-persistent", "redis-ephemeral"])
def test_berths_own_templates_deploy_as_they_are(
    name, people, project, admin_client, berth_cluster, celery_worker, settings
):
    from catalog.selectors import bundled_templates
    from tools.dev import image_catalog_for

    settings.BERTH_IMAGE_CATALOG = image_catalog_for(berth_cluster.plane.env())
    alice = signed_in(people["alice"])
    url = f"/projects/{project}/templates/deploy/"
    listed = alice.get(url).content.decode()
    assert f'data-testid="bundled-{name}"' in listed
    page = alice.get(f"{url}?bundled={name}").content.decode()
    assert 'data-testid="parameter-DATABASE_SERVICE_NAME"' in page
    text = bundled_templates()[name].text
    started = alice.post(f"{url}?bundled={name}", {"text": text, "deploy": "1"})
    assert started.status_code == 302, started.content.decode()[:2000]
    action = _ended(Action.objects.get(kind="template.instantiate"))
    assert action.state == "succeeded", action.message
    image = name.split("-")[0]
    deployment = client.AppsV1Api(admin_client).list_namespaced_deployment(project).items[0]
    assert (
        deployment.spec.template.spec.containers[0].image
        == settings.BERTH_IMAGE_CATALOG[image][{"postgresql": "15", "redis": "7"}[image]]
    )
    assert alice.get(f"{url}?bundled=nothing").status_code == 404


def test_a_cluster_administrator_adds_templates_for_every_project(
    people, project, make_project, admin_client, cluster_admin, celery_worker
):
    text = json.dumps(TEMPLATE)
    bind(admin_client, project, "admin", user="root")
    root = signed_in(cluster_admin)
    url = f"/projects/{project}/templates/deploy/"
    read = root.post(url, {"text": text}).content.decode()
    assert 'data-testid="template-share"' in read
    shared = root.post(url, {"text": text, "share": "1"})
    assert shared.status_code == 302 and shared["Location"] == f"{url}?shared=greeter"
    assert Action.objects.filter(kind="template.save", message__contains="every project").exists()

    # Every project lists it; alice deploys it in hers, but may neither add nor delete one.
    other = make_project(people["alice"])
    alice = signed_in(people["alice"])
    theirs = f"/projects/{other}/templates/deploy/"
    listed = alice.get(theirs).content.decode()
    assert 'data-testid="shared-greeter"' in listed and 'data-testid="delete-shared-greeter"' not in listed
    assert 'data-testid="template-share"' not in alice.post(theirs, {"text": text}).content.decode()
    refused = alice.post(theirs, {"text": text, "share": "1"}).content.decode()
    assert "Adding a template for every project is for cluster administrators." in refused
    started = alice.post(f"{theirs}?shared=greeter", {"text": text, "deploy": "1"})
    assert started.status_code == 302
    assert _ended(Action.objects.get(kind="template.instantiate")).state == "succeeded"
    kept = alice.post(f"/projects/{other}/templates/shared/greeter/delete/", follow=True).content.decode()
    assert "Deleting a template of every project is for cluster administrators." in kept
    assert 'data-testid="shared-greeter"' in kept

    assert root.post(f"/projects/{project}/templates/shared/greeter/delete/").status_code == 302
    assert 'data-testid="shared-templates"' not in alice.get(theirs).content.decode()


def test_a_projects_objects_exported_as_a_template_deploy_in_another_project(
    people, project, make_project, admin_client, celery_worker
):
    import yaml

    assert _ended(_instantiate(people["alice"], project)).state == "succeeded"
    alice = signed_in(people["alice"])
    url = f"/projects/{project}/templates/export/"
    none = alice.get(url, {"selector": "app=nothing", "name": "copy"}).content.decode()
    assert 'data-testid="error-selector"' in none and "No Deployment, StatefulSet" in none
    bad = alice.get(url, {"selector": "app in (", "name": "copy"}).content.decode()
    assert 'data-testid="error-selector"' in bad
    exported = alice.get(url, {"selector": "app=greeter", "name": "copy"})
    assert exported["Content-Disposition"] == 'attachment; filename="copy.yaml"'
    text = exported.content.decode()
    template = yaml.safe_load(text)
    kinds = sorted(o["kind"] for o in template["objects"])
    assert kinds == ["ConfigMap", "Deployment", "Service"]  # the Secret stays out
    assert {p["name"]: p["value"] for p in template["parameters"]} == {
        "GREETER_SETTINGS_NAME": "greeter-settings",
        "GREETER_NAME": "greeter",
    }
    for cluster_made in (
        "uid",
        "resourceVersion",
        "status",
        "clusterIP",
        "berth.io/template-action",
        "managedFields",
    ):
        assert cluster_made not in text, cluster_made

    # Another project deploys the copy under other names.
    other = make_project(people["alice"])
    copied = _ended(
        _instantiate(people["alice"], other, template, GREETER_NAME="hello", GREETER_SETTINGS_NAME="hi")
    )
    assert copied.state == "succeeded", copied.message
    deployment = client.AppsV1Api(admin_client).read_namespaced_deployment("hello", other)
    assert deployment.spec.template.spec.containers[0].env_from[0].config_map_ref.name == "hi"
    assert client.CoreV1Api(admin_client).read_namespaced_service("hello", other).spec.selector == {
        "app": "hello"
    }
