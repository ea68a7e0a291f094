"""The fan-out channel layer against a real Redis: one membership per group per process."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import redis.asyncio as redis
from channels.layers import get_channel_layer
from django.conf import settings

from console import fanout


def _group_key(group: str) -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:group:{group}"


async def _redis_members(group: str) -> int:
    client = redis.from_url(settings.REDIS_URL)
    try:
        return await client.zcard(_group_key(group))
    finally:
        await client.aclose()


async def _until(check, what: str, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def test_many_local_viewers_are_one_member_in_redis_and_each_gets_every_message(redis_url):
    layer, publisher = get_channel_layer("fanout"), get_channel_layer()
    group = f"fanout-{uuid.uuid4().hex}"
    viewers = [await layer.new_channel() for _ in range(3)]
    for viewer in viewers:
        await layer.group_add(group, viewer)
    assert await _redis_members(group) == 1

    for n in range(3):
        await publisher.group_send(group, {"type": "log.lines", "n": n})
    got = {viewer: [await asyncio.wait_for(layer.receive(viewer), 5) for _ in range(3)] for viewer in viewers}
    assert all([m["n"] for m in messages] == [0, 1, 2] for messages in got.values())
    first, *others = got.values()
    assert all(a is b for other in others for a, b in zip(first, other, strict=True))  # decoded once

    await layer.group_discard(group, viewers[0])
    assert await _redis_members(group) == 1
    await publisher.group_send(group, {"type": "log.lines", "n": 3})
    assert (await asyncio.wait_for(layer.receive(viewers[1]), 5))["n"] == 3
    for viewer in viewers[1:]:
        await layer.group_discard(group, viewer)
    assert await _redis_members(group) == 0
    assert layer.local_stats()["groups"] == 0


async def test_a_viewer_that_falls_behind_is_told_once_and_loses_no_status(redis_url, monkeypatch):
    monkeypatch.setattr(fanout, "INBOX_LIMIT", 3)
    layer, publisher = get_channel_layer("fanout"), get_channel_layer()
    group = f"fanout-{uuid.uuid4().hex}"
    slow = await layer.new_channel()
    await layer.group_add(group, slow)
    for n in range(10):
        await publisher.group_send(group, {"type": "log.lines", "n": n})
    await publisher.group_send(group, {"type": "log.status", "finished": True})
    await _until(lambda: layer.local_stats()["dropped"] == 7, "seven batches dropped")
    await asyncio.sleep(0.2)  # the status after them
    received = [await asyncio.wait_for(layer.receive(slow), 5) for _ in range(5)]
    assert [m["type"] for m in received] == ["log.lines"] * 3 + ["log.behind", "log.status"]
    assert [m["n"] for m in received[:3]] == [0, 1, 2]
    await layer.group_discard(group, slow)


async def test_an_ended_viewers_inbox_is_forgotten(redis_url):
    layer = get_channel_layer("fanout")
    group = f"fanout-{uuid.uuid4().hex}"
    before = layer.local_stats()["inboxes"]
    viewer = await layer.new_channel()
    await layer.group_add(group, viewer)
    reading = asyncio.create_task(layer.receive(viewer))
    await asyncio.sleep(0.05)
    await layer.group_discard(group, viewer)
    reading.cancel()  # what Channels does when the consumer ends
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert layer.local_stats()["inboxes"] == before


def _batch(first: int, last: int, *, signed: bool = True) -> dict:
    from actions.events import _signature

    payload = json.dumps({"lines": [[seq, f"line {seq}"] for seq in range(first, last + 1)]})
    event = {"type": "log.lines", "first": first, "last": last, "payload": payload}
    return {**event, "sig": _signature(event)} if signed else event


def _rows(first: int, last: int) -> list[list]:
    return [[seq, f"line {seq}"] for seq in range(first, last + 1)]


async def test_the_hub_keeps_the_newest_signed_lines_while_they_follow_one_another(redis_url, monkeypatch):
    monkeypatch.setattr(fanout, "RECENT_LINES", 6)
    layer, publisher = get_channel_layer("fanout"), get_channel_layer()
    group = f"fanout-{uuid.uuid4().hex}"
    viewer = await layer.new_channel()
    await layer.group_add(group, viewer)

    async def send(message: dict) -> None:
        await publisher.group_send(group, message)
        await asyncio.wait_for(layer.receive(viewer), 5)  # the hub has handled it

    assert layer.recent(group, after=0, until=None, limit=100) is None
    for first in (1, 3, 5):
        await send(_batch(first, first + 1))
    assert layer.recent(group, after=0, until=None, limit=100) == _rows(1, 6)
    assert layer.recent(group, after=2, until=4, limit=100) == _rows(3, 4)
    assert layer.recent(group, after=1, until=None, limit=2) == _rows(2, 3)
    assert layer.recent(group, after=6, until=None, limit=100) == []  # nothing newer yet
    assert layer.recent(group, after=0, until=7, limit=100) is None  # not received yet: the database

    await send(_batch(7, 8))  # over RECENT_LINES: the oldest go
    assert layer.recent(group, after=0, until=None, limit=100) is None
    assert layer.recent(group, after=2, until=None, limit=100) == _rows(3, 8)

    await send(_batch(12, 13))  # 9-11 never arrived: only what follows the gap is kept
    assert layer.recent(group, after=8, until=None, limit=100) is None
    assert layer.recent(group, after=11, until=None, limit=100) == _rows(12, 13)

    await send(_batch(14, 15, signed=False))  # not Berth's: nothing kept is trusted after it
    assert layer.recent(group, after=11, until=None, limit=100) is None
    assert layer.recent(group, after=13, until=None, limit=100) is None
    assert layer.local_stats()["recent_reads"] > 0

    await layer.group_discard(group, viewer)
    assert layer.recent(group, after=11, until=None, limit=100) is None
