"""Deploying a template from the browser: paste it, fill its parameters, watch it made."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from playwright.sync_api import expect

from tests.cluster.test_catalog import TEMPLATE
from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_paste_a_template_fill_its_parameters_and_deploy(
    page, asgi_server, celery_worker, people, make_project, admin_client
):
    project = make_project(people["alice"])
    log_in(page, asgi_server, "alice", PASSWORD)
    page.goto(f"{asgi_server}/projects/{project}/")
    page.get_by_test_id("tab-templates").click()
    page.locator("textarea[name=text]").fill(json.dumps(TEMPLATE, indent=2))
    page.get_by_test_id("template-read").click()
    expect(page.get_by_test_id("template-title")).to_have_text("greeter")
    expect(page.get_by_test_id("parameter-API_KEY")).to_contain_text("Generated if empty")
    page.locator("input[name=p-NAME]").fill("hello")
    page.locator("input[name=p-GREETING]").fill("<b>bonjour</b>")
    page.screenshot(path=str(ARTIFACTS / "catalog-parameters.png"), full_page=True)
    page.get_by_test_id("template-deploy").click()
    # The action's page follows on to what was made, with the template's message.
    expect(page.get_by_test_id("made-objects")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("made-object")).to_have_count(4)
    expect(page.get_by_test_id("template-message")).to_contain_text("Greeter hello answers on port 8080")
    page.screenshot(path=str(ARTIFACTS / "catalog-deployed.png"), full_page=True)
    page.get_by_role("link", name="hello-settings").click()
    expect(page).to_have_url(f"{asgi_server}/projects/{project}/config/configmap/hello-settings/")
    made = client.CoreV1Api(admin_client).read_namespaced_config_map("hello-settings", project)
    assert made.data == {"GREETING": "<b>bonjour</b>"}
