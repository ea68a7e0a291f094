"""An object's YAML in a real Chromium: an invalid field is refused at its line by the API
server's dry run; a valid change shows its diff, then applies as an action."""

from __future__ import annotations

import pytest
from kubernetes import client
from playwright.sync_api import expect

from tests.e2e.test_skeleton import log_in
from tests.helpers import ARTIFACTS, PASSWORD, bind, make_deployment, signed_in, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_edit_yaml_an_invalid_field_at_its_line_then_a_valid_change_applied(
    page, asgi_server, celery_worker, people, make_project, admin_client
):
    project = make_project(people["alice"])
    make_deployment(admin_client, project, image="web:1")
    log_in(page, asgi_server, "alice", PASSWORD)
    page.goto(f"{asgi_server}/projects/{project}/deployments/web/")
    page.get_by_test_id("view-yaml").click()
    editor = page.locator("#yaml-editor")
    expect(editor).to_be_visible()
    text = page.evaluate("window.berthYamlEditor.getValue()")
    assert "image: web:1" in text and "managedFields" not in text and "status:" not in text
    lines = text.splitlines()
    replicas = next(i for i, line in enumerate(lines) if line.strip().startswith("replicas:"))
    lines[replicas] = lines[replicas].split(":")[0] + ": -3"
    page.evaluate("value => window.berthYamlEditor.setValue(value, -1)", "\n".join(lines))
    page.get_by_test_id("yaml-check").click()
    error = page.get_by_test_id("yaml-error")
    expect(error).to_contain_text(f"Line {replicas + 1}: spec.replicas")
    expect(error).to_contain_text("must be greater than or equal to 0")
    expect(page.locator(".ace_error")).to_have_count(1)  # the editor marks the line too
    page.screenshot(path=str(ARTIFACTS / "yaml-invalid-field.png"), full_page=True)

    fixed = page.evaluate("window.berthYamlEditor.getValue()").replace("image: web:1", "image: web:2")
    fixed = fixed.replace(lines[replicas], lines[replicas].split(":")[0] + ": 2")
    page.evaluate("value => window.berthYamlEditor.setValue(value, -1)", fixed)
    page.get_by_test_id("yaml-check").click()
    expect(page.get_by_test_id("yaml-diff")).to_contain_text("+        image: web:2")
    assert (
        client.AppsV1Api(admin_client).read_namespaced_deployment("web", project).spec.replicas == 1
    )  # dry run
    page.get_by_test_id("yaml-apply").click()
    wait_for(
        lambda: client.AppsV1Api(admin_client).read_namespaced_deployment("web", project).spec.replicas == 2,
        message="the applied YAML",
    )
    deployment = client.AppsV1Api(admin_client).read_namespaced_deployment("web", project)
    assert deployment.spec.template.spec.containers[0].image == "web:2"

    # A viewer reads the YAML, and can't change it.
    bind(admin_client, project, "view", user="bob")
    bob = signed_in(people["bob"])
    url = f"/projects/{project}/yaml/deployment/web/"
    assert 'data-testid="yaml-read-only"' in bob.get(url).content.decode()
    assert bob.post(url + "check/", {"text": "kind: Deployment", "check": ""}).status_code == 403
