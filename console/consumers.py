"""What Berth's websockets share."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
import weakref
from collections.abc import Callable
from urllib.parse import parse_qs

import redis.asyncio as redis
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from actions.events import verified
from kube import Unavailable
from projects import selectors as project_selectors

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


class StoredLogConsumer(AccessRechecked, Counted, AsyncWebsocketConsumer):
    """A stored log, live (console.logstore): ``ws/…/?after=<seq>``.

    The browser says the last sequence number it has (``after``; ``-1`` for "the
    tail only"). The consumer joins the owner's group *first*, then sends what is
    stored after ``after`` (from the lines the process received last when it holds
    them all, else from the database), then the live lines, skipping any it has sent:
    lines are stored before they are published, so nothing is lost and nothing is
    sent twice, however often the browser reconnects. A subclass says how to find the
    owner for the person and how to read its lines and status (sync functions).
    """

    CHUNK = 1000
    TAIL = 1000
    channel_layer_alias = "fanout"  # one Redis read per log per process (console.fanout)
    url_kwarg = "pk"  # the URL's name for the owner's id
    group: str | None = None
    sent = 0

    def owner_for(self, user, pk: int) -> tuple[str, str] | None:
        """(its group, its project) if the person may see the log; else None."""
        raise NotImplementedError

    def last_seq(self, pk: int) -> int:
        raise NotImplementedError

    def lines(self, pk: int, *, after: int, limit: int, until: int | None) -> list[list[int | str]]:
        raise NotImplementedError

    def status(self, pk: int) -> dict:
        """The owner's status event, as its service publishes it."""
        raise NotImplementedError

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.pk = self.scope["url_route"]["kwargs"][self.url_kwarg]
        found = await database_sync_to_async(self.owner_for)(user, self.pk)
        if found is None:
            await self.close(code=4404)
            return
        group, project = found
        params = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            after = int(params.get("after", ["-1"])[-1])
        except ValueError:
            after = -1
        if not await self.admit(user):
            return
        self.group = group
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        if after < 0:
            # A first visit: the tail now, earlier parts when the reader asks for them.
            last = await database_sync_to_async(self.last_seq)(self.pk)
            after = max(0, last - self.TAIL)
            await self.send(text_data=json.dumps({"start": after + 1}))
        self.sent = after
        # The status first, then the lines: every line stored before that status (lines
        # are stored before the status that follows them) goes out before it.
        event = await database_sync_to_async(self.status)(self.pk)
        await self._catch_up(until=None, stored=bool(event.get("finished")))
        await self.send(text_data=json.dumps({"status": {k: v for k, v in event.items() if k != "type"}}))
        self.recheck_access(lambda: project_selectors.has_role(user=user, name=project))

    async def _catch_up(self, until: int | None, *, stored: bool = False) -> None:
        """Send the lines after the last one sent (up to ``until``): from the lines this
        process received last when it holds them all (console.fanout), else from the
        database, which ``stored`` asks for (everything stored so far)."""
        recent = None if stored else getattr(self.channel_layer, "recent", None)
        while True:
            rows = recent(self.group, after=self.sent, until=until, limit=self.CHUNK) if recent else None
            if rows is None:
                rows = await database_sync_to_async(self.lines)(
                    self.pk, after=self.sent, limit=self.CHUNK, until=until
                )
            if not rows:
                return
            self.sent = rows[-1][0]
            await self.send(text_data=json.dumps({"lines": rows}))
            if len(rows) < self.CHUNK:
                return

    async def log_lines(self, event: dict) -> None:
        if not verified(event):
            return
        first, last = event["first"], event["last"]
        if last <= self.sent:
            return  # sent already (from the database, while catching up)
        if first != self.sent + 1:
            # Lines were stored that this socket has not seen (sent before it joined,
            # or dropped by the layer), or part of this batch went out already:
            # read them from the database, in order.
            await self._catch_up(until=last)
            return
        self.sent = last
        await self.send(text_data=event["payload"])

    async def log_behind(self, event: dict) -> None:
        """This socket fell behind and lines meant for it were dropped: send them from the
        database (console.fanout; nothing else is trusted from the event)."""
        await self._catch_up(until=None)

    async def log_status(self, event: dict) -> None:
        if not verified(event):
            return
        if event.get("finished"):
            # Whatever was stored before the final status goes out before it (a batch
            # whose publishing failed included).
            await self._catch_up(until=None, stored=True)
        status = {k: v for k, v in event.items() if k not in ("type", "sig")}
        await self.send(text_data=json.dumps({"status": status}))

    async def disconnect(self, code: int) -> None:
        self.stop_recheck()
        await self.leave()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        return  # read-only
