"""Webhooks: GitHub's signature (its documented test vector), replays, refusals, audit."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from builds import webhooks
from builds.models import Build, BuildConfig, WebhookDelivery
from projects.cluster import Project


def test_githubs_documented_signature_vector():
    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    secret, payload = "It's a Secret to Everybody", b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert webhooks.github_signature(secret, payload) == expected
    assert webhooks.github_signature_valid(secret, payload, expected)
    assert not webhooks.github_signature_valid(secret, payload + b" ", expected)
    assert not webhooks.github_signature_valid(secret, payload, expected[:-1] + "f")
    assert not webhooks.github_signature_valid("", payload, expected)
    assert not webhooks.github_signature_valid(secret, payload, "")


@pytest.fixture
def config(db, monkeypatch):
    # The namespace a webhook reads first (its UID ties the config to it: projects.data).
    namespace = Project(
        name="shop", display_name="", description="", requester="", status="Active", uid="u-1"
    )
    monkeypatch.setattr(webhooks.cluster_projects, "project_namespace", lambda name: namespace)
    owner = get_user_model().objects.create_user("alice")
    return BuildConfig.objects.create(
        project="shop",
        name="web",
        git_uri="https://github.com/example/web.git",
        git_ref="main",
        output_image="registry.example/shop/web:latest",
        github_secret="gh-secret",
        generic_secret="generic-secret",
        updated_by=owner,
    )


def _github(client, config, payload: dict, *, event="push", delivery="d-1", secret=None):
    body = json.dumps(payload).encode()
    return client.post(
        f"/webhooks/{config.project}/{config.name}/github/",
        data=body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT=event,
        HTTP_X_GITHUB_DELIVERY=delivery,
        HTTP_X_HUB_SIGNATURE_256=webhooks.github_signature(secret or config.github_secret, body),
    )


PUSH = {"ref": "refs/heads/main", "after": "a" * 40, "repository": {"default_branch": "main"}}


def test_push_to_the_branch_queues_one_build_and_a_replay_does_not_build_twice(client, config):
    response = _github(client, config, PUSH)
    assert response.status_code == 202
    build = Build.objects.get(config=config)
    assert (build.name, build.trigger, build.requested_by.username) == ("web-1", "github", "alice")
    assert build.action.kind == "build.start"
    replay = _github(client, config, PUSH)
    assert replay.status_code == 200
    assert Build.objects.filter(config=config).count() == 1
    # GitHub's delivery header is not signed: the same signed body under a new id is a replay.
    assert _github(client, config, PUSH, delivery="d-2").status_code == 200
    assert Build.objects.filter(config=config).count() == 1
    second = _github(client, config, {**PUSH, "after": "b" * 40}, delivery="d-3")
    assert second.status_code == 202
    assert list(config.builds.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert WebhookDelivery.objects.filter(config=config, status_code=202).count() == 2


def test_ping_and_other_events_are_acknowledged_and_ignored(client, config):
    assert _github(client, config, {"zen": "hi"}, event="ping", delivery="p").status_code == 200
    assert _github(client, config, {"action": "opened"}, event="issues", delivery="i").status_code == 200
    other_branch = {**PUSH, "ref": "refs/heads/feature"}
    assert _github(client, config, other_branch, delivery="b").status_code == 200
    assert not Build.objects.exists()
    outcomes = set(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert "ping" in outcomes
    assert any(o.startswith("ignored: issues") for o in outcomes)
    assert any("refs/heads/feature" in o for o in outcomes)


def test_bad_signature_gets_a_bare_403_and_is_recorded(client, config):
    response = _github(client, config, PUSH, secret="guess")
    assert response.status_code == 403
    assert response.content == b""
    assert not Build.objects.exists()
    refused = WebhookDelivery.objects.get(config=config)
    assert refused.status_code == 403 and "bad or missing signature" in refused.outcome
    # A forged delivery never takes the id of the real one.
    assert _github(client, config, PUSH).status_code == 202


def test_unknown_config_looks_like_a_bad_signature(client, config):
    response = client.post("/webhooks/shop/nope/github/", data=b"{}", content_type="application/json")
    assert response.status_code == 403 and response.content == b""
    missing = client.post("/webhooks/shop/web/github/", data=b"{}", content_type="application/json")
    assert missing.status_code == 403


def test_generic_webhook_takes_its_secret_in_a_header_too(client, config):
    wrong = client.post("/webhooks/shop/web/generic/", HTTP_X_BERTH_WEBHOOK_SECRET="not-it")
    assert wrong.status_code == 403
    assert client.post("/webhooks/shop/web/generic/").status_code == 403
    right = client.post("/webhooks/shop/web/generic/", HTTP_X_BERTH_WEBHOOK_SECRET="generic-secret")
    assert right.status_code == 202
    build = Build.objects.get()
    assert build.requested_by_name == "Generic webhook, as alice (who last saved the config)"


def test_webhook_secrets_stay_out_of_the_config_history(config):
    from builds import services

    services._record_revision(config, config.updated_by)
    spec = config.revisions.get().spec
    assert "generic-secret" not in str(spec) and "gh-secret" not in str(spec)
    assert {t["type"] for t in spec["triggers"]} == {"GitHub", "Generic"}


def test_access_log_lines_lose_the_generic_secret():
    import logging

    from console.redact import RedactSecrets

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/webhooks/shop/web/generic/generic-secret/", "1.1", 202),
        None,
    )
    assert RedactSecrets().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "POST /webhooks/shop/web/generic/…/ HTTP/1.1" 202'


def test_generic_webhook_needs_the_secret_in_the_url(client, config):
    wrong = client.post("/webhooks/shop/web/generic/not-it/")
    assert wrong.status_code == 403 and wrong.content == b""
    right = client.post("/webhooks/shop/web/generic/generic-secret/", HTTP_X_DELIVERY_ID="g1")
    assert right.status_code == 202
    again = client.post("/webhooks/shop/web/generic/generic-secret/", HTTP_X_DELIVERY_ID="g1")
    assert again.status_code == 200
    assert Build.objects.get().trigger == "generic"


def test_a_trigger_that_is_off_refuses(client, config):
    config.trigger_github = False
    config.save()
    assert _github(client, config, PUSH).status_code == 403
    assert not Build.objects.exists()


def test_webhooks_need_no_csrf_token(config):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert _github(strict, config, PUSH).status_code == 202


def test_nothing_runnable_is_refused_before_queueing(client, config):
    config.plan = {
        "install": {"tool": "pip", "app": False},
        "collectstatic": False,
        "migrate": False,
        "run": {"kind": "none", "target": None, "cwd": ".", "port": 8080},
        "env": {},
        "warnings": ["Add app.py, wsgi.py with gunicorn, or an app.sh."],
    }
    config.save()
    response = _github(client, config, PUSH)
    assert response.status_code == 422
    assert "Add app.py" in response.json()["message"]
    assert not Build.objects.exists()
