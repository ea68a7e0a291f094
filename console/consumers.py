"""What Berth's websockets share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections.abc import Callable

import redis.asyncio as redis
from channels.db import database_sync_to_async
from django.conf import settings

from kube import Unavailable

ACCESS_LOST = 4403  # the close code when the person may no longer see what the socket shows
TOO_MANY = 4429  # the close code when the person has BERTH_SOCKETS_PER_PERSON open already
TRY_AGAIN_LATER = 1013  # Redis is away: the page's htmx reconnects (with its backoff)
NO_CHANNEL_LAYER = "none"  # an alias CHANNEL_LAYERS lacks: a consumer that needs no Redis stream

logger = logging.getLogger(__name__)

# One Redis client per event loop (a client's connections belong to the loop that made them).
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _redis() -> redis.Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = redis.from_url(settings.REDIS_URL, socket_timeout=10)
    return client


class Counted:
    """A websocket consumer that counts against its person's BERTH_SOCKETS_PER_PERSON.

    Every Berth process shares the count: each open socket is a member of the person's
    sorted set in Redis, scored with the time it is good until and refreshed while it
    lives, so a process that died without closing its sockets stops counting them soon.
    Over the limit, the socket is accepted and closed at once with ``TOO_MANY`` and a
    reason the page shows (a refusal before accepting is only a failed handshake to the
    browser, which would retry).
    """

    TTL = 90  # seconds a socket counts without being refreshed
    socket_key: str | None = None
    heartbeat_task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        # Redis away (restarted, say) fails the count or the channel layer's stream: the
        # socket closes with TRY_AGAIN_LATER and the page reconnects once Redis is back.
        # A warning, not a traceback per socket.
        try:
            await super().__call__(scope, receive, send)
        except redis.RedisError as exc:
            logger.warning("websocket %s closed: Redis is not answering (%s)", scope.get("path"), exc)
            with contextlib.suppress(redis.RedisError):
                await self.disconnect(TRY_AGAIN_LATER)
            with contextlib.suppress(Exception):  # the connection may be gone already
                await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})

    async def admit(self, user) -> bool:
        limit = settings.BERTH_SOCKETS_PER_PERSON
        self.socket_key = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:sockets:{user.pk}"
        self.socket_id = uuid.uuid4().hex
        now = time.time()
        async with _redis().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(self.socket_key, "-inf", now)
            pipe.zadd(self.socket_key, {self.socket_id: now + self.TTL})
            pipe.zcard(self.socket_key)
            pipe.expire(self.socket_key, self.TTL)
            *_, count, _ = await pipe.execute()
        if count > limit:
            await _redis().zrem(self.socket_key, self.socket_id)
            self.socket_key = None
            await self.accept()
            reason = (
                f"You have {limit} live pages open, the most one person may "
                f"(BERTH_SOCKETS_PER_PERSON). Close some, then reload."
            )
            await self.close(code=TOO_MANY, reason=reason.encode()[:123].decode(errors="ignore"))
            return False
        self.heartbeat_task = asyncio.create_task(self._heartbeat())
        return True

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.TTL / 3)
            try:
                async with _redis().pipeline(transaction=True) as pipe:
                    pipe.zadd(self.socket_key, {self.socket_id: time.time() + self.TTL})
                    pipe.expire(self.socket_key, self.TTL)
                    await pipe.execute()
            except redis.RedisError:  # Redis away: counted again at the next beat it answers
                continue

    async def leave(self) -> None:
        if self.heartbeat_task is not None:
            self.heartbeat_task.cancel()
        if self.socket_key is not None:
            key, self.socket_key = self.socket_key, None
            with contextlib.suppress(redis.RedisError):  # it stops counting after TTL anyway
                await _redis().zrem(key, self.socket_id)


class AccessRechecked:
    """A websocket consumer that asks again, every ``BERTH_SOCKET_RECHECK_SECONDS``, whether
    the person may still see what it shows, and closes once they may not: a role taken
    away ends their live pages and logs within that time (plus the cluster's cached answer,
    30 s at most). A cluster that doesn't answer is asked again later, not taken as a no."""

    recheck_task: asyncio.Task | None = None

    def recheck_access(self, allowed: Callable[[], bool]) -> None:
        """Start asking ``allowed`` (sync: it may call the cluster as the person)."""
        self.recheck_task = asyncio.create_task(self._recheck(allowed))

    async def _recheck(self, allowed: Callable[[], bool]) -> None:
        while True:
            await asyncio.sleep(settings.BERTH_SOCKET_RECHECK_SECONDS)
            try:
                still = await database_sync_to_async(allowed)()
            except Unavailable:
                continue
            if not still:
                await self.close(code=ACCESS_LOST, reason="You no longer have access to this: reload.")
                return

    def stop_recheck(self) -> None:
        if self.recheck_task is not None:
            self.recheck_task.cancel()
