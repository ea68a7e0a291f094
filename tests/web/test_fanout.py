"""The fan-out channel layer against a real Redis: one membership per group per process."""

from __future__ import annotations

import asyncio
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
