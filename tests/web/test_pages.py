"""Pages every visitor meets: login, errors, health. Rendered by the real Django stack."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import path

from console.urls import urlpatterns as console_urlpatterns

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [*console_urlpatterns, path("boom/", _boom)]
handler500 = "console.views.server_error"
handler404 = "console.views.page_not_found"


@pytest.fixture
def alice():
    # Not one of the devcluster's people: this person is in no project on a shared plane.
    return get_user_model().objects.create_user("erin", password="correct horse battery")


def test_login_page_renders_with_patternfly(client):
    response = client.get("/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Log in to Berth" in body
    assert "vendor/patternfly/patternfly.min.css" in body
    assert "https://" not in body  # air-gapped: nothing from a CDN


def test_anonymous_is_sent_to_login(client):
    response = client.get("/projects/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/projects/")


def test_login_then_projects_then_logout(client, alice, berth_cluster):
    response = client.post("/login/", {"username": "erin", "password": "correct horse battery"})
    assert response.status_code == 302 and response["Location"] == "/projects/"
    page = client.get("/projects/")
    assert page.status_code == 200 and b"No projects yet" in page.content
    assert client.post("/logout/").status_code == 302
    assert client.get("/projects/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(client, alice):
    wrong = client.post("/login/", {"username": "erin", "password": "nope"})
    unknown = client.post("/login/", {"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    message = "That user name and password do not match"
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_lock_that_user_name_from_that_address_only(alice, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 3
    here, elsewhere = Client(REMOTE_ADDR="10.0.0.7"), Client(REMOTE_ADDR="10.0.0.8")
    for _ in range(2):
        assert here.post("/login/", {"username": "erin", "password": "nope"}).status_code == 200
    locked = here.post("/login/", {"username": "erin", "password": "nope"})
    assert locked.status_code == 429
    assert "Too many wrong passwords for this user name from your address" in locked.content.decode()
    assert 'value="erin"' in locked.content.decode()  # what was typed is kept
    # The right password now is refused too, from this address; from another, it logs in.
    right = {"username": "erin", "password": "correct horse battery"}
    assert here.post("/login/", right).status_code == 429 and "_auth_user_id" not in here.session
    assert elsewhere.post("/login/", right).status_code == 302
    # Another user name from the locked address is not locked.
    assert here.post("/login/", {"username": "frank", "password": "nope"}).status_code == 200
    attempt = AccessAttempt.objects.get(username="erin", ip_address="10.0.0.7")
    assert attempt.failures_since_start >= 3  # the record an administrator lists and lifts


def test_the_registrys_token_service_is_throttled_the_same_way_and_answers_json(alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.BERTH_REGISTRY_TOKEN_KEY = "a key: only a wrong password is asked here, nothing is signed"
    docker = Client(REMOTE_ADDR="10.0.0.9")
    wrong = {"grant_type": "password", "username": "erin", "password": "nope", "scope": ""}
    assert docker.post("/registry/token", wrong).status_code == 401
    locked = docker.post("/registry/token", wrong)
    assert locked.status_code == 429 and locked["Content-Type"] == "application/json"
    assert locked.json()["errors"][0]["code"] == "DENIED"
    assert "Too many wrong passwords" in locked.json()["errors"][0]["message"]


def test_unknown_url_gets_berths_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Not found" in response.content and b"request-id" in response.content


def test_csrf_failure_gets_a_friendly_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert b"Traceback" not in response.content


@pytest.mark.urls("tests.web.test_pages")
def test_unexpected_error_gets_500_page_with_request_id(caplog, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "secret internal detail" not in body and "Traceback" not in body
    request_id = response["X-Request-ID"]
    assert request_id in body
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert logged and logged[-1].request_id == request_id and logged[-1].exc_info


@pytest.mark.urls("tests.web.test_pages")
@pytest.mark.parametrize("debug_pages", [False, True])
def test_development_gets_berths_404_and_500_unless_asked_for_djangos(settings, debug_pages):
    settings.DEBUG, settings.BERTH_DEBUG_PAGES = True, debug_pages
    client = Client(raise_request_exception=False)
    missing, boom = client.get("/no/such/page/"), client.get("/boom/")
    assert (missing.status_code, boom.status_code) == (404, 500)
    if debug_pages:  # Django's: the URL patterns tried, the traceback
        assert (
            b"Using the URLconf defined in" in missing.content and b"secret internal detail" in boom.content
        )
    else:
        assert b"request-id" in missing.content and b"URLconf" not in missing.content
        assert b"Something went wrong" in boom.content and b"secret internal detail" not in boom.content


def test_healthz_reports_each_check(client, redis_url, settings):
    settings.KUBECONFIG = "/nonexistent/kubeconfig"
    from django.contrib.auth import get_user_model

    from kube.client import reset_config

    reset_config()
    try:
        anonymous = client.get("/healthz")
        client.force_login(get_user_model().objects.create_user("ops", is_staff=True))
        staff = client.get("/healthz")
    finally:
        reset_config()
    payload = json.loads(staff.content)
    assert payload["checks"]["database"] == {"ok": True}
    assert payload["checks"]["redis"] == {"ok": True}
    assert payload["checks"]["cluster"]["ok"] is False
    assert "KUBECONFIG" in payload["checks"]["cluster"]["error"]
    assert staff.status_code == 503 and payload["status"] == "unavailable"
    # Anyone else learns each check's state, not what the inside looks like.
    assert anonymous.status_code == 503
    assert json.loads(anonymous.content)["checks"] == {
        "database": {"ok": True},
        "redis": {"ok": True},
        "cluster": {"ok": False},
    }


def test_healthz_sees_redis_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    payload = json.loads(client.get("/healthz").content)
    assert payload["checks"]["redis"]["ok"] is False


def test_a_get_on_a_forms_address_gets_berths_405_page(client, alice):
    client.force_login(alice)
    response = client.get("/logout/")
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    body = response.content.decode()
    assert "only takes a form" in body and "X-Request-ID" not in body and "<html" in body
