"""A cross-project sweep: every project URL, action page, websocket and webhook, asked
by a signed-in person who has a project of their own but no role in this one — with this
project's name, and with their own project's name and this project's objects and ids.
Every answer is a 403 or 404 (a refused socket): nothing leaks, nothing is queued."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from actions.models import Action
from tests.cluster.test_permission_matrix import (  # noqa: F401 - objects is a fixture
    CONVERTER,
    OBJECT_ROUTES,
    OBJECT_WEBSOCKETS,
    ROUTES,
    WEBSOCKETS,
    make_persons,
    objects,
)
from tests.helpers import session_cookie, signed_in, websocket
from tests.reliability.conftest import record

OBJECT_PARAMS = ("pod", "deployment", "service", "route", "volume", "statefulset", "job", "cronjob")
OBJECT_PARAMS += ("config", "item", "number", "image", "pk", "action_id", "build_id")


def _has_objects(pattern: str) -> bool:
    return any(f":{p}>" in pattern or f"<{p}>" in pattern for p in OBJECT_PARAMS)


@pytest.mark.django_db(transaction=True)
def test_nobody_reaches_another_projects_pages_objects_or_webhooks(objects, people, make_project):  # noqa: F811
    accounts, values = make_persons(objects, people)
    dave = accounts["none"]
    own = make_project(dave)
    web = signed_in(dave)
    attempts, wrong = 0, []
    before = Action.objects.order_by("-pk").values_list("pk", flat=True).first() or 0  # the fixtures' own
    for route in ROUTES + OBJECT_ROUTES:
        urls = [route.url(values)]
        if _has_objects(route.pattern) and "<label:name>" in route.pattern:
            urls.append(route.url({**values, "name": own}))  # their own project, our objects
        for url in urls:
            mine = url.startswith(f"/projects/{own}/")
            for method in ("get", "post"):
                status = getattr(web, method)(url).status_code
                attempts += 1
                # In their own project a page answers a POST with 405 whatever it names:
                # that says nothing about the other project.
                if status not in (403, 404) and not (mine and status == 405):
                    wrong.append(f"{method.upper()} {url}: {status}")
    # Webhooks: anyone may call them; a wrong secret or signature is a bare 403.
    hooks = [
        f"/webhooks/{objects['name']}/app/github/",
        f"/webhooks/{objects['name']}/app/generic/not-the-secret/",
        f"/webhooks/{objects['name']}/app/generic/",
        f"/webhooks/{own}/app/generic/{'s' * 24}/",  # the right secret, the wrong project
    ]
    for hook in hooks:
        status = Client().post(hook, b"{}", "application/json").status_code
        attempts += 1
        if status not in (403, 404):
            wrong.append(f"POST {hook}: {status}")
    queued = [f"{a.kind} {a.target}" for a in Action.objects.filter(pk__gt=before)]
    record("sweep_http", {"attempts": attempts, "other_answers": len(wrong), "actions_queued": len(queued)})
    assert wrong == [] and queued == [], "\n".join([*wrong, *queued])
    assert attempts >= 50


@pytest.mark.django_db(transaction=True)
async def test_nobody_opens_another_projects_sockets(objects, people, make_project):  # noqa: F811
    accounts, values = await sync_to_async(make_persons)(objects, people)
    dave = accounts["none"]
    own = await sync_to_async(make_project)(dave)
    cookie = await sync_to_async(session_cookie)(dave)
    attempts, opened = 0, []
    for pattern in WEBSOCKETS + OBJECT_WEBSOCKETS:
        pattern = pattern.replace("<str:resource>", "pods")
        paths = ["/" + CONVERTER.sub(lambda m: str(values[m.group(2)]), pattern)]
        if "<label:name>" in pattern and _has_objects(pattern):
            mixed = {**values, "name": own}
            paths.append("/" + CONVERTER.sub(lambda m, v=mixed: str(v[m.group(2)]), pattern))
        for path in paths:
            socket = websocket(path, cookie)
            connected, _ = await socket.connect(timeout=10)
            attempts += 1
            if connected:
                # Accepted only to say why it closes (a pod that is not in their project).
                message = await socket.receive_output(timeout=10)
                if message["type"] != "websocket.close":
                    opened.append(f"{path}: {str(message)[:120]}")
            await socket.disconnect()
    record("sweep_sockets", {"attempts": attempts, "opened": len(opened)})
    assert opened == []
