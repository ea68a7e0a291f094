"""Services and routes against the real control plane and a real worker.

Nothing here sends traffic to a pod, a service or a route host: only the API is asked.
"""

from __future__ import annotations

import base64
import dataclasses

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from kubernetes import client

from actions.models import Action
from kube import identity_for_user
from networking import cluster as cluster_networking
from networking import services as networking_services
from projects import selectors as project_selectors
from tests.helpers import action_from, bind, make_deployment, signed_in, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def make_service(admin_client, namespace: str, name: str = "web", app: str = "web"):
    client.CoreV1Api(admin_client).create_namespaced_service(
        namespace,
        {
            "metadata": {"name": name},
            "spec": {
                "selector": {"app": app},
                "ports": [
                    {"name": "http", "port": 80, "targetPort": 8080},
                    {"name": "admin", "port": 9090, "targetPort": 9090},
                ],
            },
        },
    )


def make_tls_secret(admin_client, namespace: str, name: str = "shop-cert"):
    # The apiserver checks that a TLS secret has both keys, not what is in them.
    dummy = base64.b64encode(b"not a real certificate").decode()
    client.CoreV1Api(admin_client).create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": name},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": dummy, "tls.key": dummy},
        },
    )


def ingress(admin_client, namespace: str, name: str):
    return client.NetworkingV1Api(admin_client).read_namespaced_ingress(name, namespace)


def ingress_names(admin_client, namespace: str) -> list[str]:
    return [
        i.metadata.name for i in client.NetworkingV1Api(admin_client).list_namespaced_ingress(namespace).items
    ]


def edit_route(web, url: str, data: dict):
    """What the edit page's two buttons do: preview the change, then save it."""
    version = web.get(url).context["form"].initial["version"]
    preview = web.post(url, {**data, "version": version, "preview": ""})
    assert preview.status_code == 200 and preview.context["changes"], preview.content[:300]
    previewed = preview.context["form"].data["previewed"]
    return web.post(url, {**data, "version": version, "previewed": previewed, "apply": ""})


@pytest.fixture
def erin(db):
    """Signed in, with no role anywhere."""
    return get_user_model().objects.create_user("erin", password="x")


@pytest.fixture
def project(people, make_project, admin_client):
    """alice admin, bob viewer, carol editor."""
    name = make_project(people["alice"])
    bind(admin_client, name, "view", user="bob")
    bind(admin_client, name, "edit", user="carol")
    return name


def test_services_show_ready_endpoints_and_the_pods_behind_them(people, project, admin_client):
    make_deployment(admin_client, project, replicas=2)
    make_service(admin_client, project)
    make_service(admin_client, project, name="nobody", app="nothing-has-this")
    bob = signed_in(people["bob"])

    def listed_ready() -> str:
        body = bob.get(f"/projects/{project}/services/").content.decode()
        return 'data-service="web"' in body and 'data-testid="service-ready">2/2<' in body and body

    body = wait_for(listed_ready, timeout=60, message="2 ready endpoints in the list")
    assert 'data-service="nobody"' in body and "admin (9090/TCP" in body
    detail = bob.get(f"/projects/{project}/services/web/").content.decode()
    assert detail.count('data-testid="endpoint-row" data-ready="true"') == 2
    assert detail.count('data-testid="service-pod" data-status="Running"') == 2
    assert "app=web" in detail
    empty = bob.get(f"/projects/{project}/services/nobody/").content.decode()
    assert 'data-testid="no-endpoints"' in empty and 'data-testid="no-service-pods"' in empty
    assert bob.get(f"/projects/{project}/services/missing/").status_code == 404


def test_expose_makes_the_service_and_a_route_whose_url_is_a_link(
    people, project, admin_client, celery_worker, settings
):
    make_deployment(admin_client, project)
    alice = signed_in(people["alice"])
    page = alice.get(f"/projects/{project}/routes/").content.decode()
    assert 'data-testid="expose-form"' in page and 'value="web"' in page
    action = action_from(
        alice.post(f"/projects/{project}/routes/expose/", {"deployment": "web", "port": "8080"})
    )
    assert action.state == "succeeded", action.message
    service = client.CoreV1Api(admin_client).read_namespaced_service("web", project)
    assert service.spec.selector == {"app": "web"}
    assert [(p.port, str(p.target_port)) for p in service.spec.ports] == [(8080, "8080")]
    host = f"web-{project}.{settings.BERTH_APPS_DOMAIN}"
    rule = ingress(admin_client, project, "web").spec.rules[0]
    assert rule.host == host and rule.http.paths[0].backend.service.name == "web"
    assert rule.http.paths[0].backend.service.port.number == 8080
    routes = alice.get(f"/projects/{project}/routes/").content.decode()
    assert (
        f'<a href="http://{host}" target="_blank" rel="noopener noreferrer" data-testid="route-url">'
        in routes
    )
    # Exposing again is refused at the field: the route exists.
    again = alice.post(f"/projects/{project}/routes/expose/", {"deployment": "web", "port": "8080"})
    assert (
        again.status_code == 400 and "exists already" in again.context["expose_form"].errors["deployment"][0]
    )


def test_expose_reuses_a_matching_service_and_refuses_a_foreign_one(
    people, project, admin_client, celery_worker
):
    make_deployment(admin_client, project)
    make_deployment(admin_client, project, name="api", port=9090)
    make_service(admin_client, project)  # selects app=web, serves 80 -> 8080
    make_service(admin_client, project, name="api", app="someone-else")
    alice = signed_in(people["alice"])
    action = action_from(
        alice.post(f"/projects/{project}/routes/expose/", {"deployment": "web", "port": "8080"})
    )
    assert action.state == "succeeded", action.message
    assert ingress(admin_client, project, "web").spec.rules[0].http.paths[0].backend.service.port.number == 80
    refused = action_from(
        alice.post(f"/projects/{project}/routes/expose/", {"deployment": "api", "port": "9090"})
    )
    assert refused.state == "failed" and "selects other pods" in refused.message
    assert "api" not in ingress_names(admin_client, project)


def test_create_edit_and_delete_a_route_with_tls(people, project, admin_client, celery_worker):
    make_service(admin_client, project)
    make_tls_secret(admin_client, project)
    carol = signed_in(people["carol"])
    form = carol.get(f"/projects/{project}/routes/new/").content.decode()
    assert 'value="shop-cert"' in form and 'value="web"' in form
    action = action_from(
        carol.post(
            f"/projects/{project}/routes/new/",
            {
                "name": "shop",
                "host": f"shop.{project}.example.com",
                "path": "/api",
                "service": "web",
                "port": "http",
                "tls_secret": "shop-cert",
            },
        )
    )
    assert action.state == "succeeded", action.message
    created = ingress(admin_client, project, "shop")
    assert created.spec.tls[0].secret_name == "shop-cert" and created.spec.tls[0].hosts == [
        f"shop.{project}.example.com"
    ]
    assert created.spec.rules[0].http.paths[0].path == "/api"
    assert created.spec.rules[0].http.paths[0].backend.service.port.name == "http"
    routes = carol.get(f"/projects/{project}/routes/").content.decode()
    assert f'href="https://shop.{project}.example.com/api"' in routes and "edge (shop-cert)" in routes

    edit = carol.get(f"/projects/{project}/routes/shop/edit/").content.decode()
    assert f'value="shop.{project}.example.com"' in edit
    action = action_from(
        edit_route(
            carol,
            f"/projects/{project}/routes/shop/edit/",
            {
                "host": f"store.{project}.example.com",
                "path": "/",
                "service": "web",
                "port": "9090",
                "tls_secret": "",
            },
        )
    )
    assert action.state == "succeeded", action.message
    edited = ingress(admin_client, project, "shop")
    assert edited.spec.rules[0].host == f"store.{project}.example.com" and not edited.spec.tls
    assert edited.spec.rules[0].http.paths[0].backend.service.port.number == 9090

    assert (
        'data-testid="confirm-delete-route"'
        in carol.get(f"/projects/{project}/routes/shop/delete/").content.decode()
    )
    action = action_from(carol.post(f"/projects/{project}/routes/shop/delete/"))
    assert action.state == "succeeded", action.message
    assert ingress_names(admin_client, project) == []


def test_bad_route_input_is_refused_at_the_field_and_creates_nothing(people, project, admin_client):
    make_service(admin_client, project)
    alice = signed_in(people["alice"])
    cases = [
        ({"host": "http://shop.example.com"}, "host", "without http://"),
        ({"host": "shop_1.example.com"}, "host", "not allowed"),
        ({"path": "/a b"}, "path", "characters of a URL path"),
        ({"path": "api"}, "path", "starts with /"),
        ({"port": "81"}, "port", "has no port 81"),
        ({"port": "https"}, "port", "has no port https"),
        ({"service": "missing"}, "service", "Select a valid choice"),
        ({"name": "Shop"}, "name", "lower-case"),
        ({"tls_secret": "not-there"}, "tls_secret", "Select a valid choice"),
    ]
    for change, field, message in cases:
        data = {
            "name": "shop",
            "host": "",
            "path": "/",
            "service": "web",
            "port": "80",
            "tls_secret": "",
            **change,
        }
        response = alice.post(f"/projects/{project}/routes/new/", data)
        assert response.status_code == 400, change
        body = response.content.decode()
        assert f'data-testid="error-{field}"' in body, change
        assert message in " ".join(response.context["form"].errors[field]), (
            change,
            response.context["form"].errors,
        )
    bad_expose = alice.post(f"/projects/{project}/routes/expose/", {"deployment": "nope", "port": "99999"})
    assert bad_expose.status_code == 400
    assert set(bad_expose.context["expose_form"].errors) == {"deployment", "port"}
    assert not Action.objects.exists()
    assert ingress_names(admin_client, project) == []


def test_a_host_used_by_another_route_anywhere_is_refused(
    people, project, make_project, admin_client, celery_worker
):
    make_service(admin_client, project)
    elsewhere = make_project(people["carol"])  # alice has no role there
    taken = f"taken.{project}.example.com"
    client.NetworkingV1Api(admin_client).create_namespaced_ingress(
        elsewhere,
        {
            "metadata": {"name": "theirs"},
            "spec": {
                "rules": [
                    {
                        "host": taken,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "x", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    alice = signed_in(people["alice"])
    data = {"name": "shop", "host": taken, "path": "/", "service": "web", "port": "80", "tls_secret": ""}
    response = alice.post(f"/projects/{project}/routes/new/", data)
    assert response.status_code == 400
    error = response.context["form"].errors["host"][0]
    assert "another project" in error and elsewhere not in response.content.decode()
    # The same host in the same project names the route that has it.
    action_from(
        alice.post(f"/projects/{project}/routes/new/", {**data, "host": f"mine.{project}.example.com"})
    )
    again = alice.post(
        f"/projects/{project}/routes/new/", {**data, "name": "shop2", "host": f"mine.{project}.example.com"}
    )
    assert "the route shop in this project" in again.context["form"].errors["host"][0]
    # Editing a route may keep its own host.
    keep = action_from(
        edit_route(
            alice,
            f"/projects/{project}/routes/shop/edit/",
            {**data, "host": f"mine.{project}.example.com", "path": "/v2"},
        )
    )
    assert keep.state == "succeeded", keep.message
    # The worker checks again: a host taken between the form and the task fails the action.
    target = project_selectors.project_get(user=people["alice"], name=project)
    spec = cluster_networking.RouteSpec(
        name="late", host=f"late.{project}.example.com", path="/", service="web", port="80"
    )
    networking_services.route_create(user=people["alice"], project=target, spec=spec)
    client.NetworkingV1Api(admin_client).patch_namespaced_ingress(
        "theirs",
        elsewhere,
        {
            "spec": {
                "rules": [
                    {
                        "host": spec.host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "x", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            }
        },
    )
    late = wait_for(
        lambda: Action.objects.filter(target="route/late", state__in=["succeeded", "failed"]).first(),
        message="the task",
    )
    # Either the task ran before the patch (then the route exists) or after (then it failed readably).
    if late.state == "failed":
        assert "another project" in late.message
    else:
        assert "late" in ingress_names(admin_client, project)


def test_permission_matrix(people, project, admin_client, erin, celery_worker):
    make_deployment(admin_client, project)
    make_service(admin_client, project)
    client.NetworkingV1Api(admin_client).create_namespaced_ingress(
        project,
        {
            "metadata": {"name": "shop"},
            "spec": {
                "rules": [
                    {
                        "host": f"shop.{project}.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    base = f"/projects/{project}"
    pages = [f"{base}/services/", f"{base}/services/web/", f"{base}/routes/"]
    edit_pages = [f"{base}/routes/new/", f"{base}/routes/shop/edit/", f"{base}/routes/shop/delete/"]
    route = {"name": "new", "host": f"new.{project}.example.com", "path": "/", "service": "web", "port": "80"}
    posts = [
        (f"{base}/routes/new/", route),
        (f"{base}/routes/shop/edit/", route),
        (f"{base}/routes/shop/delete/", {}),
        (f"{base}/routes/expose/", {"deployment": "web", "port": "8080"}),
    ]
    anonymous = Client()
    for url in pages + edit_pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    nobody = signed_in(erin)
    for url in pages + edit_pages:
        assert nobody.get(url).status_code == 404, url
    for url, data in posts:
        assert nobody.post(url, data).status_code == 404, url

    bob = signed_in(people["bob"])  # view
    for url in pages:
        assert bob.get(url).status_code == 200, url
    routes = bob.get(f"{base}/routes/").content.decode()
    assert 'data-testid="route-url"' in routes
    for hidden in ("create-route", "expose-form", "edit-route", "delete-route"):
        assert f'data-testid="{hidden}"' not in routes, hidden
    assert 'data-testid="create-route-for-service"' not in bob.get(f"{base}/services/web/").content.decode()
    for url in edit_pages:
        assert bob.get(url).status_code == 403, url
    for url, data in posts:
        assert bob.post(url, data).status_code == 403, url
    assert not Action.objects.exists()

    carol = signed_in(people["carol"])  # edit
    routes = carol.get(f"{base}/routes/").content.decode()
    for shown in ("create-route", "expose-form", "edit-route", "delete-route"):
        assert f'data-testid="{shown}"' in routes, shown
    action = action_from(carol.post(f"{base}/routes/new/", route))
    assert action.state == "succeeded", action.message
    assert sorted(ingress_names(admin_client, project)) == ["new", "shop"]


def test_the_cluster_refuses_a_viewer_even_past_berth(people, project, admin_client, celery_worker):
    make_service(admin_client, project)
    viewer_project = project_selectors.project_get(user=people["bob"], name=project)
    viewer_project.my_role = "edit"  # pretend Berth's own check was bypassed
    spec = cluster_networking.RouteSpec(
        name="sneaky", host=f"sneaky.{project}.example.com", path="/", service="web", port="80"
    )
    networking_services.route_create(user=people["bob"], project=viewer_project, spec=spec)
    action = wait_for(
        lambda: Action.objects.filter(state__in=["succeeded", "failed"]).first(), message="the task"
    )
    assert action.state == "failed" and "forbidden" in action.message.lower()
    assert ingress_names(admin_client, project) == []


def test_a_route_with_several_rules_is_not_flattened_by_an_edit(people, project, admin_client):
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    paths = [
        {"path": "/", "pathType": "Prefix", "backend": backend},
        {"path": "/b", "pathType": "Prefix", "backend": backend},
    ]
    client.NetworkingV1Api(admin_client).create_namespaced_ingress(
        project,
        {
            "metadata": {"name": "multi"},
            "spec": {"rules": [{"host": f"m.{project}.example.com", "http": {"paths": paths}}]},
        },
    )
    make_service(admin_client, project)
    alice = signed_in(people["alice"])
    routes = alice.get(f"/projects/{project}/routes/").content.decode()
    assert "+1 more" in routes
    data = {"host": f"m.{project}.example.com", "path": "/", "service": "web", "port": "80", "tls_secret": ""}
    response = alice.post(f"/projects/{project}/routes/multi/edit/", data)
    assert response.status_code == 400 and "has 2 rules" in response.content.decode()
    assert not Action.objects.exists()
    assert len(ingress(admin_client, project, "multi").spec.rules[0].http.paths) == 2


def test_delete_a_service_naming_the_routes_that_stop_working(people, project, admin_client, celery_worker):
    make_deployment(admin_client, project)
    make_service(admin_client, project)
    carol, bob = signed_in(people["carol"]), signed_in(people["bob"])
    routed = action_from(
        carol.post(
            f"/projects/{project}/routes/new/",
            {
                "name": "shop",
                "service": "web",
                "port": "http",
                "host": f"shop.{project}.example.com",
                "path": "/",
            },
        )
    )
    assert routed.state == "succeeded", routed.message
    assert (
        'data-testid="delete-service"' not in bob.get(f"/projects/{project}/services/web/").content.decode()
    )
    assert bob.post(f"/projects/{project}/services/web/delete/").status_code == 403

    page = carol.get(f"/projects/{project}/services/web/delete/").content.decode()
    assert 'data-testid="route-that-breaks">shop' in page and "Its pods and their deployment stay" in page
    action = action_from(carol.post(f"/projects/{project}/services/web/delete/"))
    assert action.state == "succeeded" and action.message == "Service web deleted.", action.message
    assert action.parameters["next"] == f"/projects/{project}/services/"
    names = [s.metadata.name for s in client.CoreV1Api(admin_client).list_namespaced_service(project).items]
    assert names == []
    assert client.AppsV1Api(admin_client).read_namespaced_deployment("web", project).metadata.name == "web"
    gone = carol.get(f"/projects/{project}/services/web/")
    assert gone.status_code == 404 and "It may have been deleted." in gone.content.decode()


def test_a_route_edit_shows_what_changes_and_never_overwrites_someone_elses(
    people, project, admin_client, celery_worker
):
    make_service(admin_client, project)
    carol = signed_in(people["carol"])
    url = f"/projects/{project}/routes/shop/edit/"
    data = {
        "name": "shop",
        "host": f"shop.{project}.example.com",
        "path": "/",
        "service": "web",
        "port": "http",
    }
    assert action_from(carol.post(f"/projects/{project}/routes/new/", data)).state == "succeeded"
    version = carol.get(url).context["form"].initial["version"]
    moved = {**data, "host": f"store.{project}.example.com", "version": version}
    preview = carol.post(url, {**moved, "preview": ""})
    assert [(c.what, c.before, c.after) for c in preview.context["changes"]] == [
        ("host", f"shop.{project}.example.com", f"store.{project}.example.com")
    ]
    assert 'data-testid="edit-diff"' in preview.content.decode()
    assert ingress(admin_client, project, "shop").spec.rules[0].host == f"shop.{project}.example.com"

    # Someone else changes the route meanwhile: saving the previewed change is refused.
    body = ingress(admin_client, project, "shop")
    body.spec.rules[0].http.paths[0].path = "/theirs"
    client.NetworkingV1Api(admin_client).replace_namespaced_ingress("shop", project, body)
    stale = carol.post(url, {**moved, "previewed": preview.context["form"].data["previewed"], "apply": ""})
    assert stale.status_code == 400
    assert (
        "Someone else changed shop since you opened this form, so nothing was saved."
        in stale.content.decode()
    )
    assert stale.context["form"]["path"].value() == "/theirs"
    assert not Action.objects.filter(kind="route.update").exists()

    # The same between the form and the worker: the action applies nothing and says why.
    target = project_selectors.project_get(user=people["carol"], name=project)
    current = cluster_networking.route_get(
        identity_for_user(people["carol"]), namespace=project, name="shop"
    ).as_spec()
    queued = networking_services.route_update(
        user=people["carol"],
        project=target,
        spec=dataclasses.replace(current, host=f"store.{project}.example.com"),
        before=dataclasses.replace(current, path="/"),
    )
    failed = wait_for(
        lambda: Action.objects.filter(pk=queued.pk, state__in=["succeeded", "failed"]).first(),
        message="the route update to finish",
    )
    assert failed.state == "failed" and "Someone else changed the route shop" in failed.message, (
        failed.message
    )
    assert ingress(admin_client, project, "shop").spec.rules[0].host == f"shop.{project}.example.com"


def test_hosts_under_the_apps_domain_are_each_routes_own(
    people, project, make_project, settings, admin_client
):
    settings.BERTH_APPS_DOMAIN = "apps.berth.local"
    other = make_project(people["carol"])
    # Another project's future default host, or any other name under the domain: refused.
    for host in (f"web-{other}.apps.berth.local", "shop.apps.berth.local", "apps.berth.local"):
        refused = networking_services.apps_domain_problem(project=project, host=host, route="web")
        assert f"this route's is web-{project}.apps.berth.local" in refused, host
    own = f"web-{project}.apps.berth.local"
    assert networking_services.apps_domain_problem(project=project, host=own, route="web") == ""
    assert networking_services.apps_domain_problem(project=project, host="a.example.com", route="web") == ""
    make_service(admin_client, project)
    data = {"name": "web", "path": "/", "service": "web", "port": "80", "tls_secret": ""}
    alice = signed_in(people["alice"])
    response = alice.post(
        f"/projects/{project}/routes/new/", {**data, "host": f"web-{other}.apps.berth.local"}
    )
    assert response.status_code == 400
    assert (
        "Host names under apps.berth.local are given by Berth" in response.context["form"].errors["host"][0]
    )
    assert not Action.objects.exists()


def test_a_host_in_another_routes_tls_is_taken_too(people, project, make_project, admin_client):
    elsewhere = make_project(people["carol"])
    secure = f"secure.{project}.example.com"
    client.NetworkingV1Api(admin_client).create_namespaced_ingress(
        elsewhere,
        {
            "metadata": {"name": "theirs"},
            "spec": {
                "tls": [{"hosts": [secure], "secretName": "cert"}],
                "defaultBackend": {"service": {"name": "x", "port": {"number": 80}}},
            },
        },
    )
    message = cluster_networking.host_taken_message(secure, namespace=project, name="shop")
    assert "used by a route in another project" in message


def test_of_two_routes_asking_for_one_host_at_once_one_gets_it(people, project, make_project, admin_client):
    """The claim is what decides while neither route exists yet (the race a check-then-create
    would lose); a claim whose route never came is taken over after its grace minute."""
    from datetime import timedelta

    from django.utils import timezone

    from networking import hosts
    from networking.models import RouteHost

    other = make_project(people["carol"])
    host = f"race.{project}.example.com"
    hosts.claim(namespace=project, name="first", host=host)
    with pytest.raises(hosts.HostTaken, match="used by a route in another project"):
        hosts.claim(namespace=other, name="second", host=host)
    with pytest.raises(hosts.HostTaken, match="used by the route first in this project"):
        hosts.claim(namespace=project, name="third", host=host)
    RouteHost.objects.filter(host=host).update(claimed_at=timezone.now() - timedelta(minutes=5))
    hosts.claim(namespace=other, name="second", host=host)  # "first" never made its route
    assert RouteHost.objects.get(host=host).namespace == other
    # One host per route: a route's new host frees its old one.
    hosts.claim(namespace=other, name="second", host=f"moved.{project}.example.com")
    assert not RouteHost.objects.filter(host=host).exists()
