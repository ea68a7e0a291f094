"""Generated inputs on every project page and form (Hypothesis): names, quantities, env
lines, YAML, huge and unicode values, in every field any of Berth's forms has and in the
query parameters pages read. 0 answers of 500, 0 errors logged.

As the project's admin, in a transaction that is never committed: the actions forms
queue never run (as in the permission matrix, whose project this reuses)."""

from __future__ import annotations

import importlib
import inspect
import logging
import os

import pytest
from django import forms
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.cluster.test_permission_matrix import ROUTES, objects  # noqa: F401 - the fixture
from tests.helpers import signed_in
from tests.reliability.conftest import record

EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "25"))
APPS = ("projects", "workloads", "networking", "storage", "configs", "objects", "builds", "images", "catalog")


def _form_fields() -> list[str]:
    names = {"preview", "version", "before", "confirm", "text", "key", "next"}
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                names |= set(cls.base_fields)
    return sorted(names)


FIELDS = _form_fields()
QUERY = ["q", "page", "status", "sort", "container", "tail", "timestamps", "previous", "revision"]
QUERY += ["deployment", "after", "before", "follow", "kind", "search", "per_page", "order"]
TRICKY = [
    "",
    " ",
    "0",
    "-1",
    "1e400",
    "99999999999999999999",
    "NaN",
    ".",
    "..",
    "%2e%2e",
    "../../etc/passwd",
    "a/b",
    "<script>alert(1)</script>",
    "${{NAME}}",
    "\x00",
    "\u202e",
    "\U0001d518\U0001d52b\u00e9\u4e2d\u2713",
    "x" * 70,
    "X" * 100_000,
    "a: [",
    "- - -\n  :",
    "KEY=value\n=novalue\nBAD KEY=1",
    "1Gi",
    "999999Ti",
    "-5Gi",
    "true",
    "null",
    "{}",
    "[]",
    "web",
    "data",
    "configmap",
    "secret",
    "admin",
    "system:admin",
    "http://127.0.0.1:1/x.git",
    "file:///etc",
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}",
    "*/5 * * * *",
    "http",
    "80",
    "65536",
    "sha256:" + "0" * 64,
    "registry/x/y:latest",
]
VALUES = st.one_of(st.sampled_from(TRICKY), st.text(max_size=60), st.integers(-(10**12), 10**12).map(str))

tally = {"requests": 0, "routes": 0, "server_errors": 0}


def _database_objects(project: str, person) -> dict:
    from actions.models import Action
    from catalog.models import ProjectTemplate

    made = Action.objects.create(
        kind="template.instantiate",
        project=project,
        requested_by=person,
        requested_by_name=person.username,
        parameters={"template": "t", "objects": [], "message": ""},
    )
    ProjectTemplate.objects.create(project=project, name="kept", text="{}", saved_by_name=person.username)
    return {"action": made.pk, "template": "kept"}


def _methods(route) -> tuple[str, ...]:
    return getattr(route.view, "methods", ("GET",))


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_generated_inputs_never_get_a_500(route, objects, people, caplog):  # noqa: F811
    alice = signed_in(people["alice"])
    # (Objects of this test's database: a saved template and a template's action, made in
    # the transaction, as a person would have.)
    url = route.url({**objects, **_database_objects(objects["name"], people["alice"])})
    methods = _methods(route)
    tally["routes"] += 1

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(
        query=st.dictionaries(st.sampled_from(QUERY), VALUES, max_size=4),
        body=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8),
    )
    def attempt(query, body):
        if "GET" in methods:
            response = alice.get(url, query)
            tally["requests"] += 1
            assert response.status_code < 500, (url, query, response.status_code)
        if "POST" in methods:
            response = alice.post(url, body)
            tally["requests"] += 1
            assert response.status_code < 500, (url, body, response.status_code)

    with caplog.at_level(logging.ERROR):
        attempt()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    tally["server_errors"] += len(errors)
    record("fuzz", {**tally, "examples_per_route": EXAMPLES})
    assert errors == [], [r.getMessage() for r in errors[:3]]
