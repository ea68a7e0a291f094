"""Template processing as OpenShift does it, on its own: parameters, generated values,
``${NAME}`` and ``${{NAME}}``, labels, namespaces, the message, and every bad input."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from catalog.processing import (
    MAX_TEMPLATE_BYTES,
    TemplateError,
    expression_generate,
    parameter_values,
    template_process,
    template_read,
)

# Shaped like sclorg's quickstarts (a web app and its database), written for these tests.
SHOP = {
    "kind": "Template",
    "apiVersion": "template.openshift.io/v1",
    "metadata": {
        "name": "shop-postgresql",
        "annotations": {
            "openshift.io/display-name": "Shop + PostgreSQL",
            "description": "A shop and its database.",
            "tags": "python, django ,quickstart",
            "iconClass": "icon-python",
        },
    },
    "message": "Made ${NAME} with database ${DATABASE_SERVICE_NAME}; its password is ${DATABASE_PASSWORD}.",
    "labels": {"template": "shop-postgresql", "app": "${NAME}"},
    "objects": [
        {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "${NAME}", "namespace": "somewhere-else", "labels": {"tier": "web"}},
            "spec": {"ports": [{"port": 8080}], "selector": {"name": "${NAME}"}},
        },
        {
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {"name": "${NAME}", "namespace": "${TARGET}"},
            "spec": {
                "replicas": "${{REPLICAS}}",
                "paused": "${{PAUSED}}",
                "template": {
                    "metadata": {"labels": {"${LABEL_KEY}": "${NAME}"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "shop:latest",
                                "args": ["--workers=${{REPLICAS}}", "${{REPLICAS}}x"],
                                "env": [
                                    {"name": "DATABASE_PASSWORD", "value": "${DATABASE_PASSWORD}"},
                                    {"name": "SECRET_KEY", "value": "${SECRET_KEY}"},
                                    {"name": "SHELL_VAR", "value": "${POSTGRESQL_USER}"},
                                    {"name": "CONFIG", "value": "${{CONFIG}}"},
                                    {"name": "NOT_JSON", "value": "${{GREETING}}"},
                                ],
                            }
                        ]
                    },
                },
            },
        },
    ],
    "parameters": [
        {"name": "NAME", "displayName": "Name", "required": True, "value": "shop"},
        {"name": "DATABASE_SERVICE_NAME", "required": True, "value": "postgresql"},
        {"name": "DATABASE_PASSWORD", "generate": "expression", "from": "[a-zA-Z0-9]{16}"},
        {"name": "SECRET_KEY", "generate": "expression", "from": "[\\w]{50}"},
        {"name": "REPLICAS", "value": "2"},
        {"name": "PAUSED", "value": "false"},
        {"name": "CONFIG", "value": '{"debug": true, "workers": 3}'},
        {"name": "GREETING", "value": "hello there"},
        {"name": "LABEL_KEY", "value": "app.example.org/name"},
        {"name": "TARGET", "value": "my-project"},
    ],
}


def processed(template: dict = SHOP, **values: str):
    return template_process(template_read(json.dumps(template)), values)


def test_the_objects_oc_process_would_give():
    result = processed()
    service, deployment = result.objects
    assert service["metadata"] == {
        "name": "shop",
        "labels": {"tier": "web", "template": "shop-postgresql", "app": "shop"},
    }  # a hard-coded namespace is dropped; the template's labels join the object's
    assert service["spec"]["selector"] == {"name": "shop"}
    assert deployment["metadata"]["namespace"] == "my-project"  # made of a parameter: kept
    spec = deployment["spec"]
    assert spec["replicas"] == 2 and spec["paused"] is False  # ${{}}: JSON values
    assert spec["template"]["metadata"]["labels"] == {"app.example.org/name": "shop"}  # map keys too
    container = spec["template"]["spec"]["containers"][0]
    assert container["args"] == ["--workers=${{REPLICAS}}", "${{REPLICAS}}x"]  # exact match only
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["CONFIG"] == {"debug": True, "workers": 3}
    assert env["NOT_JSON"] == "hello there"  # not JSON: kept as the string
    assert env["SHELL_VAR"] == "${POSTGRESQL_USER}"  # no such parameter: left as written
    assert (
        result.message == f"Made shop with database postgresql; its password is {env['DATABASE_PASSWORD']}."
    )
    assert result.as_list() == {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": result.objects}


def test_generated_values_match_their_expressions_and_differ_per_run():
    first, second = processed().values, processed().values
    assert re.fullmatch(r"[a-zA-Z0-9]{16}", first["DATABASE_PASSWORD"])
    assert re.fullmatch(r"[a-zA-Z0-9_]{50}", first["SECRET_KEY"])
    assert first["DATABASE_PASSWORD"] != second["DATABASE_PASSWORD"]
    assert first["SECRET_KEY"] != second["SECRET_KEY"]
    given = processed(DATABASE_PASSWORD="chosen").values
    assert given["DATABASE_PASSWORD"] == "chosen"  # a value given wins over generating one


@pytest.mark.parametrize(
    ("expression", "pattern"),
    [
        ("[\\d]{12}", r"[0-9]{12}"),
        ("[\\a]{12}", r"[a-zA-Z]{12}"),
        ("[\\A]{12}", r"[~!@#$%^&*()\-_+={}\[\]\\|<,>.?/\"';:`]{12}"),
        ("[\\w]{12}", r"\w{12}"),
        ("[a-f0-9]{8}", r"[a-f0-9]{8}"),
        ("[A-Z]{3}", r"[A-Z]{3}"),
        ("user-[a-z]{4}-[0-9]{2}", r"user-[a-z]{4}-[0-9]{2}"),
    ],
)
def test_the_expression_language(expression, pattern):
    for _ in range(20):
        assert re.fullmatch(pattern, expression_generate(expression), re.ASCII)


def test_ranges_include_both_ends():
    assert set(expression_generate("[a-c]{255}")) == {"a", "b", "c"}
    assert set(expression_generate("[0-1]{255}")) == {"0", "1"}


def test_a_value_that_looks_like_a_reference_is_not_expanded_again():
    template = {**SHOP, "message": "${GREETING} and ${NAME}"}
    assert processed(template, GREETING="${NAME}").message == "${NAME} and shop"


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("[abc]{3}", "Malformed expression"),
        ("[a-z]{0}", "from 1 to 255"),
        ("[a-z]{256}", "from 1 to 255"),
        ("[a-z]{x}", "from 1 to 255"),
        ("[z-a]{3}", "z comes after a"),
    ],
)
def test_a_bad_generate_expression_says_what_is_wrong(expression, words):
    template = {**SHOP, "parameters": [{"name": "X", "generate": "expression", "from": expression}]}
    with pytest.raises(TemplateError, match=re.escape(words)):
        processed(template)


def test_a_required_parameter_left_empty_is_refused_at_its_field():
    template = {**SHOP, "parameters": [{"name": "NAME", "displayName": "Name", "required": True}]}
    with pytest.raises(TemplateError, match="Name is required") as refused:
        processed(template)
    assert refused.value.field == "NAME"


def test_a_value_for_no_parameter_is_refused():
    with pytest.raises(TemplateError, match="no parameter NOPE"):
        processed(NOPE="1")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "neither JSON nor YAML (line 1"),
        ("kind: Deployment\napiVersion: apps/v1\n", "not a Template (kind 'Deployment')"),
        ("- a\n- b\n", "not a Template"),
        ("kind: Template\napiVersion: v2\n", "apiVersion 'v2'"),
        ("kind: Template\napiVersion: v1\nobjects: {a: 1}\n", "objects must be a list"),
        ("kind: Template\napiVersion: v1\nparameters: [{name: 'a b'}]\n", "not a parameter name"),
        ("kind: Template\napiVersion: v1\nparameters: [{name: A}, {name: A}]\n", "defined twice"),
        ("kind: Template\napiVersion: v1\nparameters: [{name: A, generate: uuid}]\n", "unknown generator"),
        ("x" * (MAX_TEMPLATE_BYTES + 1), "at most 1,048,576"),
    ],
)
def test_what_is_not_a_template_is_said_in_words(text, words):
    with pytest.raises(TemplateError, match=re.escape(words)):
        template_read(text)


def test_yaml_and_json_read_the_same():
    as_yaml = template_read(yaml.safe_dump(SHOP))
    as_json = template_read(json.dumps(SHOP))
    assert as_yaml == as_json
    assert as_json.display_name == "Shop + PostgreSQL" and as_json.tags == ["python", "django", "quickstart"]
    assert as_json.icon == "icon-python" and as_json.parameters[2].generated


def test_parameter_files_and_pairs():
    assert parameter_values(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    lines = ["# a comment", "", "NAME=web", "  # indented comment"]
    assert parameter_values(lines, source="p.env") == {"NAME": "web"}
    with pytest.raises(TemplateError, match=re.escape("p.env, line 2: expected NAME=VALUE")):
        parameter_values(["A=1", "just words"], source="p.env")


def test_the_command_prints_a_json_list(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(SHOP))
    params = tmp_path / "shop.env"
    params.write_text("NAME=from-file\nREPLICAS=5\n")
    out, err = StringIO(), StringIO()
    call_command(
        "process_template", str(path), "--param-file", str(params), "-p", "NAME=given", stdout=out, stderr=err
    )
    listed = json.loads(out.getvalue())
    assert listed["kind"] == "List" and listed["apiVersion"] == "v1"
    assert [o["metadata"]["name"] for o in listed["items"]] == ["given", "given"]  # -p wins over the file
    assert listed["items"][1]["spec"]["replicas"] == 5
    assert err.getvalue().startswith("Made given with database postgresql")
    with pytest.raises(CommandError, match="DATABASE_SERVICE_NAME is required"):
        call_command("process_template", str(path), "-p", "DATABASE_SERVICE_NAME=", stdout=out)
    with pytest.raises(CommandError, match="no such file"):
        call_command("process_template", str(tmp_path / "missing.json"), stdout=out)


def test_yaml_dates_and_number_keys_stay_text_as_kubernetes_reads_them():
    text = (
        "kind: Template\napiVersion: v1\nmetadata: {name: dated}\nobjects:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {RELEASED: 2024-01-31, 8080: port}}\n"
    )
    listed = processed_text(text)
    assert listed.objects[0]["data"] == {"RELEASED": "2024-01-31", "8080": "port"}
    json.dumps(listed.as_list())  # printable as JSON


def processed_text(text: str):
    return template_process(template_read(text), {})


def test_berths_own_templates_read_process_and_describe_every_parameter():
    from catalog.selectors import bundled_templates

    bundled = bundled_templates()
    assert {
        "postgresql-persistent",
        "redis-ephemeral",
        "django-psql-persistent",
        "flask",
        "python-celery-redis",
    } <= set(bundled)
    for name, item in bundled.items():
        # The one value a template may leave to Berth (a sample's Git URL, filled in there).
        given = {
            p.name: "https://git.example.org/app.git"
            for p in item.template.parameters
            if p.name == "SOURCE_REPOSITORY_URL"
        }
        made = template_process(item.template, given)
        assert made.objects and item.template.description, name
        assert all(p.display_name for p in item.template.parameters), name
        assert "${" not in json.dumps(made.objects), name  # every reference is a parameter
