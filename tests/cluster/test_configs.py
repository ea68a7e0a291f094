"""Secrets and ConfigMaps through Berth, against the real control plane and a real worker."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from kubernetes import client

from actions.models import Action
from tests.helpers import action_from, bind, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def project(people, make_project, admin_client):
    """alice admin, bob viewer."""
    name = make_project(people["alice"])
    bind(admin_client, name, "view", user="bob")
    return name


def test_a_secrets_values_stay_hidden_until_an_editor_reveals_them_and_that_is_recorded(
    people, project, admin_client, celery_worker
):
    alice = signed_in(people["alice"])
    created = action_from(
        alice.post(
            f"/projects/{project}/config/secret/new/",
            {"name": "db", "type": "Opaque", "key": "PASSWORD", "value": "s3cret value"},
        )
    )
    assert (created.state, created.message) == ("succeeded", "Secret db created with 1 key."), created.message
    stored = client.CoreV1Api(admin_client).read_namespaced_secret("db", project)
    assert base64.b64decode(stored.data["PASSWORD"]) == b"s3cret value"

    page = alice.get(f"/projects/{project}/config/secret/db/").content.decode()
    assert 'data-key="PASSWORD"' in page and "s3cret" not in page
    listed = alice.get(f"/projects/{project}/config/").content.decode()
    assert 'data-name="db"' in listed and "s3cret" not in listed

    revealed = alice.post(
        f"/projects/{project}/config/secret/db/reveal/", {"key": "PASSWORD"}, HTTP_HX_REQUEST="true"
    )
    assert revealed.status_code == 200 and "s3cret value" in revealed.content.decode()
    record = Action.objects.get(kind="secret.reveal")
    assert (record.project, record.requested_by, record.target) == (project, people["alice"], "secret/db")
    activity = alice.get(f"/projects/{project}/activity/").content.decode()
    assert "alice revealed the value of PASSWORD in the Secret db." in activity

    # A viewer: no values, no list of Secrets (it would carry them), no reveal.
    bob = signed_in(people["bob"])
    assert 'data-testid="secrets-hidden"' in bob.get(f"/projects/{project}/config/").content.decode()
    assert bob.post(f"/projects/{project}/config/secret/db/reveal/", {"key": "PASSWORD"}).status_code == 403
    assert bob.get(f"/projects/{project}/config/secret/db/").status_code == 403
    assert Action.objects.filter(kind="secret.reveal").count() == 1


def test_a_configmap_is_made_changed_from_a_file_and_deleted(people, project, admin_client, celery_worker):
    alice = signed_in(people["alice"])
    action_from(
        alice.post(
            f"/projects/{project}/config/configmap/new/", {"name": "settings", "key": "MODE", "value": "prod"}
        )
    )
    upload = SimpleUploadedFile("nginx.conf", b"server { listen 8080; }\n")
    done = action_from(
        alice.post(
            f"/projects/{project}/config/configmap/settings/set/", {"key": "nginx.conf", "file": upload}
        )
    )
    assert done.state == "succeeded", done.message
    binary = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n\x00\xff")
    action_from(
        alice.post(f"/projects/{project}/config/configmap/settings/set/", {"key": "logo.png", "file": binary})
    )
    stored = client.CoreV1Api(admin_client).read_namespaced_config_map("settings", project)
    assert stored.data == {"MODE": "prod", "nginx.conf": "server { listen 8080; }\n"}
    assert base64.b64decode(stored.binary_data["logo.png"]) == b"\x89PNG\r\n\x1a\n\x00\xff"
    page = alice.get(f"/projects/{project}/config/configmap/settings/").content.decode()
    assert "server { listen 8080; }" in page and "(binary, 10 bytes)" in page

    # Bad input is refused at its field, with what was typed kept.
    bad = alice.post(
        f"/projects/{project}/config/configmap/settings/set/", {"key": "no spaces", "value": "x"}
    )
    assert bad.status_code == 422 and "A key is letters" in bad.content.decode()
    both = alice.post(
        f"/projects/{project}/config/configmap/settings/set/",
        {"key": "k", "value": "typed", "file": SimpleUploadedFile("f", b"x")},
    )
    assert both.status_code == 422 and "not both" in both.content.decode()

    removed = action_from(
        alice.post(f"/projects/{project}/config/configmap/settings/remove/", {"key": "MODE"})
    )
    assert removed.message == "Removed MODE from settings."
    assert "MODE" not in (
        client.CoreV1Api(admin_client).read_namespaced_config_map("settings", project).data or {}
    )
    deleted = action_from(alice.post(f"/projects/{project}/config/configmap/settings/delete/"))
    assert (
        deleted.message == "Deleted the ConfigMap settings."
        and deleted.next_url == f"/projects/{project}/config/"
    )
    assert alice.get(f"/projects/{project}/config/configmap/settings/").status_code == 404
