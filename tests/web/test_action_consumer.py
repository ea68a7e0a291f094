"""The action websocket, through the whole ASGI stack (origin check, session auth)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from actions import services
from actions.models import Action
from console.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True)]


def _session_cookie(username: str) -> bytes:
    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _make_action(owner: str) -> Action:
    users = get_user_model().objects
    user = users.get(username=owner)
    return Action.objects.create(kind="test.any", requested_by=user, requested_by_name=owner)


@pytest.fixture
def people():
    users = get_user_model().objects
    users.create_user("alice", password="x")
    users.create_user("bob", password="x")


def _communicator(
    path: str, cookie: bytes | None, origin: bytes = b"http://127.0.0.1"
) -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


async def _closed(communicator: WebsocketCommunicator) -> None:
    """After a refusal the server sends the consumer the socket's disconnect, as uvicorn
    does once the close is sent; the consumer must then end by itself, not be cancelled.
    (It can take up to channels-redis's 5 s blocking read of the channel to end.)"""
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(timeout=10)
    assert communicator.future.done() and not communicator.future.cancelled()


async def test_owner_gets_current_state_then_updates(people, redis_url):
    action = await sync_to_async(_make_action)("alice")
    cookie = await sync_to_async(_session_cookie)("alice")
    communicator = _communicator(f"/ws/actions/{action.pk}/", cookie)
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_from(timeout=5)
    assert 'data-state="queued"' in first and f'id="action-status-{action.pk}"' in first

    await sync_to_async(services.action_mark_running)(action=action)
    update = await communicator.receive_from(timeout=5)
    assert 'data-state="running"' in update

    await sync_to_async(services.action_mark_finished)(
        action=action, succeeded=False, message="<b>bad</b> thing"
    )
    final = await communicator.receive_from(timeout=5)
    assert 'data-state="failed"' in final
    assert "&lt;b&gt;bad&lt;/b&gt; thing" in final and "<b>bad</b>" not in final
    await communicator.disconnect()


async def test_anonymous_is_refused(people, redis_url):
    action = await sync_to_async(_make_action)("alice")
    communicator = _communicator(f"/ws/actions/{action.pk}/", None)
    connected, code = await communicator.connect()
    assert not connected and code == 4401
    await _closed(communicator)


async def test_someone_elses_action_is_refused(people, redis_url):
    action = await sync_to_async(_make_action)("alice")
    cookie = await sync_to_async(_session_cookie)("bob")
    communicator = _communicator(f"/ws/actions/{action.pk}/", cookie)
    connected, code = await communicator.connect()
    assert not connected and code == 4404
    await _closed(communicator)


async def test_foreign_origin_is_refused(people, redis_url):
    action = await sync_to_async(_make_action)("alice")
    cookie = await sync_to_async(_session_cookie)("alice")
    communicator = _communicator(f"/ws/actions/{action.pk}/", cookie, origin=b"https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected
    await _closed(communicator)


async def test_a_quiet_socket_stays_connected_past_the_layers_read_timeout(people, redis_url):
    """channels-redis waits up to 5 s for a message; redis-py 8 gives up reading after 5 s by
    default, which dropped every quiet live page every few seconds. A quiet socket must still
    get the next change."""
    action = await sync_to_async(_make_action)("alice")
    cookie = await sync_to_async(_session_cookie)("alice")
    communicator = _communicator(f"/ws/actions/{action.pk}/", cookie)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_from(timeout=5)
    await asyncio.sleep(12)  # two of the layer's blocking reads, with nothing to read
    await sync_to_async(services.action_mark_running)(action=action)
    assert 'data-state="running"' in await communicator.receive_from(timeout=5)
    await communicator.disconnect()


async def test_only_events_berth_signed_reach_the_browser(people, redis_url):
    """Whoever can write to Redis cannot put markup on a page: an unsigned or altered event
    is dropped, a signed one goes through."""
    from channels.layers import get_channel_layer

    from actions.events import action_group

    action = await sync_to_async(_make_action)("alice")
    cookie = await sync_to_async(_session_cookie)("alice")
    communicator = _communicator(f"/ws/actions/{action.pk}/", cookie)
    assert (await communicator.connect())[0]
    await communicator.receive_from(timeout=5)  # the current state
    layer, group = get_channel_layer(), action_group(action.pk)
    forged = '<div id="x"><script>alert(1)</script></div>'
    await layer.group_send(group, {"type": "action.update", "html": forged})
    await layer.group_send(group, {"type": "action.update", "html": forged, "sig": "0" * 64})
    assert await communicator.receive_nothing(timeout=1)
    await sync_to_async(services.action_mark_running)(action=action)
    assert 'data-state="running"' in await communicator.receive_from(timeout=5)
    await communicator.disconnect()


async def test_one_person_has_at_most_their_share_of_live_pages(people, redis_url, settings):
    settings.BERTH_SOCKETS_PER_PERSON = 2
    action = await sync_to_async(_make_action)("alice")
    alice = await sync_to_async(_session_cookie)("alice")
    path = f"/ws/actions/{action.pk}/"
    first, second = _communicator(path, alice), _communicator(path, alice)
    for socket in (first, second):
        assert (await socket.connect())[0]
        await socket.receive_from(timeout=5)
    third = _communicator(path, alice)
    assert (await third.connect())[0]  # accepted, so that the browser reads why it closes
    closed = await third.receive_output(timeout=5)
    assert closed["type"] == "websocket.close" and closed["code"] == 4429
    assert "You have 2 live pages open" in closed["reason"] and "BERTH_SOCKETS_PER_PERSON" in closed["reason"]
    await _closed(third)
    # Someone else is not counted against alice; a closed page frees its place.
    bobs_action = await sync_to_async(_make_action)("bob")
    bob = _communicator(f"/ws/actions/{bobs_action.pk}/", await sync_to_async(_session_cookie)("bob"))
    assert (await bob.connect())[0]
    assert 'data-state="queued"' in await bob.receive_from(timeout=5)
    await second.disconnect()
    fourth = _communicator(path, alice)
    assert (await fourth.connect())[0]
    assert 'data-state="queued"' in await fourth.receive_from(timeout=5)
    for socket in (first, fourth, bob):
        await socket.disconnect()
