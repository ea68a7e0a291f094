"""A channel layer for many viewers of one stream: one Redis membership per group per
process, fanned out in memory.

With the plain Redis layer every websocket is its own member of the group, so each
published message is copied in Redis once per viewer, read back once per viewer and
decoded once per viewer. Here a socket's channel is local to its process: the first
local member of a group makes the process's one Redis channel for that group join it;
each message arrives once and goes to every local member's inbox as the same object
(a log batch is JSON-encoded once, by its publisher, and sent as-is).

A viewer that does not keep up is not buffered without bound: once its inbox holds
``INBOX_LIMIT`` messages, further ``DROPPABLE`` ones (log lines, which are stored before
they are published) are dropped and it receives one ``log.behind`` instead, on which it
reads again what it missed (:class:`console.consumers.StoredLogConsumer`).
Other messages (a status) are always delivered.

Each group's hub also keeps the newest ``RECENT_LINES`` lines it received, while they
follow one another without a gap (:class:`_Recent`): a viewer that opens the log or
fell behind reads them from there (:meth:`FanoutLayer.recent`) rather than the
database, one read for every viewer of the process. Only signed batches are kept.

``CHANNEL_LAYERS["fanout"]`` names it; publishers send with the default layer, to the
same groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections import deque

from channels_redis.core import RedisChannelLayer

from actions.events import verified

LOCAL_PREFIX = "fanout."
INBOX_LIMIT = 200
DROPPABLE = frozenset({"log.lines"})
BEHIND = {"type": "log.behind"}
# Lines a group's hub keeps for catching-up viewers: at about 200 bytes a rendered line,
# some 400 KB a log with viewers in this process.
RECENT_LINES = 2000


class _Recent:
    """The newest lines of a log this process received, without a gap: ``[seq, html]``
    rows whose sequence numbers follow one another."""

    def __init__(self) -> None:
        self.rows: deque[list] = deque(maxlen=RECENT_LINES)  # the oldest go as new ones come

    def reset(self) -> None:
        self.rows.clear()

    def add(self, message: dict) -> None:
        """Keep a signed ``log.lines`` batch; a gap (a batch this process never got)
        starts the window again from this one."""
        try:
            first, last = message["first"], message["last"]
            rows = json.loads(message["payload"])["lines"]
        except (KeyError, TypeError, ValueError):
            self.rows.clear()
            return
        if not rows or [row[0] for row in rows] != list(range(first, last + 1)):
            self.rows.clear()
            return
        if self.rows and first != self.rows[-1][0] + 1:
            self.rows.clear()
        self.rows.extend(rows)

    def after(self, after: int, *, until: int | None, limit: int) -> list[list] | None:
        """The rows after ``after`` (up to ``until``, at most ``limit``), or None when the
        window does not start by ``after + 1`` or does not reach ``until``."""
        if not self.rows or self.rows[0][0] > after + 1:
            return None
        newest = self.rows[-1][0]
        if until is not None and until > newest:
            return None
        start = after + 1 - self.rows[0][0]
        stop = min(len(self.rows), start + limit)
        if until is not None:
            stop = min(stop, until - self.rows[0][0] + 1)
        return list(itertools.islice(self.rows, start, stop))


class _Inbox:
    def __init__(self) -> None:
        self.messages: deque[dict] = deque()
        self.ready = asyncio.Event()
        self.behind = False
        self.error: Exception | None = None

    def put(self, message: dict) -> bool:
        """Whether the message was dropped (the inbox holds ``log.behind`` instead)."""
        dropped = len(self.messages) >= INBOX_LIMIT and message.get("type") in DROPPABLE
        if not dropped:
            self.messages.append(message)
        elif not self.behind:
            self.behind = True
            self.messages.append(BEHIND)
        self.ready.set()
        return dropped

    def fail(self, error: Exception) -> None:
        self.error = error
        self.ready.set()

    async def get(self) -> dict:
        while not self.messages:
            if self.error is not None:
                raise self.error
            self.ready.clear()
            await self.ready.wait()
        message = self.messages.popleft()
        if message is BEHIND:
            self.behind = False
        return message


class FanoutLayer(RedisChannelLayer):
    """channels-redis' layer; channels it makes with :meth:`new_channel` are local."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._inboxes: dict[str, _Inbox] = {}
        self._members: dict[str, set[str]] = {}  # group → local channels
        self._hubs: dict[str, tuple[str, asyncio.Task]] = {}  # group → (Redis channel, its reader)
        self._recent: dict[str, _Recent] = {}  # group → the lines its hub received last
        self._lock: asyncio.Lock | None = None
        self.dropped = 0  # messages dropped for viewers that fell behind, since the layer began
        self.recent_reads = 0  # catch-ups served from the hubs' recent lines

    async def new_channel(self, prefix: str = "specific") -> str:
        name = f"{LOCAL_PREFIX}{uuid.uuid4().hex}"
        self._inboxes[name] = _Inbox()
        return name

    async def receive(self, channel: str) -> dict:
        if not channel.startswith(LOCAL_PREFIX):
            return await super().receive(channel)
        inbox = self._inboxes.setdefault(channel, _Inbox())
        try:
            return await inbox.get()
        except asyncio.CancelledError:
            # The consumer has ended (Channels cancels its pending read): forget its inbox.
            if not any(channel in members for members in self._members.values()):
                self._inboxes.pop(channel, None)
            raise

    async def group_add(self, group: str, channel: str) -> None:
        if not channel.startswith(LOCAL_PREFIX):
            return await super().group_add(group, channel)
        async with self._guard():
            self._members.setdefault(group, set()).add(channel)
            self._inboxes.setdefault(channel, _Inbox())
            if group not in self._hubs:
                hub = await super().new_channel()
                await super().group_add(group, hub)
                self._recent[group] = _Recent()
                self._hubs[group] = (hub, asyncio.create_task(self._fan_out(group, hub)))

    async def group_discard(self, group: str, channel: str) -> None:
        if not channel.startswith(LOCAL_PREFIX):
            return await super().group_discard(group, channel)
        async with self._guard():
            members = self._members.get(group, set())
            members.discard(channel)
            if members:
                return
            self._members.pop(group, None)
            self._recent.pop(group, None)
            hub, reader = self._hubs.pop(group, (None, None))
            if reader is not None:
                reader.cancel()
                await super().group_discard(group, hub)

    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _fan_out(self, group: str, hub: str) -> None:
        while True:
            try:
                message = await super().receive(hub)
            except Exception as exc:  # Redis away: its members' sockets end, and their pages reconnect
                if self._hubs.get(group, (None,))[0] == hub:
                    del self._hubs[group]
                    self._recent.pop(group, None)
                for channel in self._members.get(group, ()):
                    if (inbox := self._inboxes.get(channel)) is not None:
                        inbox.fail(exc)
                return
            if message.get("type") == "log.lines" and (recent := self._recent.get(group)) is not None:
                # Before any viewer has it: what a viewer handles, the window holds.
                if verified(message):
                    recent.add(message)
                else:
                    recent.reset()
            for channel in list(self._members.get(group, ())):
                if (inbox := self._inboxes.get(channel)) is not None and inbox.put(message):
                    self.dropped += 1

    def recent(self, group: str, *, after: int, until: int | None, limit: int) -> list[list] | None:
        """Lines of ``group`` after ``after`` (up to ``until``, at most ``limit``) from what
        its hub received, or None when it does not hold them all: read the database."""
        recent = self._recent.get(group)
        rows = recent.after(after, until=until, limit=limit) if recent is not None else None
        if rows is not None:
            self.recent_reads += 1
        return rows

    def local_stats(self) -> dict[str, int]:
        """Groups read from Redis, local members and inboxes, messages dropped, catch-ups
        served from the recent lines (benchmarks, tests)."""
        return {
            "groups": len(self._hubs),
            "inboxes": len(self._inboxes),
            "members": sum(len(m) for m in self._members.values()),
            "dropped": self.dropped,
            "recent_reads": self.recent_reads,
        }

    async def flush(self) -> None:
        for _hub, reader in self._hubs.values():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._hubs.clear()
        self._recent.clear()
        self._members.clear()
        self._inboxes.clear()
        await super().flush()
