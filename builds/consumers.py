"""The live build log: ``ws/builds/<id>/?after=<seq>``.

The browser says the last sequence number it has (``after``; ``-1`` for "the
tail only"). The consumer joins the build's group *first*, then sends what the
database holds after ``after``, then the live lines, skipping any it has sent:
lines are stored before they are published, so nothing is lost and nothing is
sent twice, however often the browser reconnects.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from actions.events import build_group, verified
from builds import selectors, services
from console.consumers import AccessRechecked, Counted
from projects import selectors as project_selectors

CHUNK = 1000
TAIL = 1000


class BuildLogConsumer(AccessRechecked, Counted, AsyncWebsocketConsumer):
    group: str | None = None
    sent = 0

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        build_id = self.scope["url_route"]["kwargs"]["build_id"]
        build = await database_sync_to_async(selectors.build_get_for_user)(user=user, pk=build_id)
        if build is None:
            await self.close(code=4404)
            return
        params = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            after = int(params.get("after", ["-1"])[-1])
        except ValueError:
            after = -1
        if not await self.admit(user):
            return
        self.build_id = build.pk
        self.group = build_group(build.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        if after < 0:
            # A first visit: the tail now, earlier parts when the reader asks for them.
            last = await database_sync_to_async(selectors.build_last_seq)(build_id=build.pk)
            after = max(0, last - TAIL)
            await self.send(text_data=json.dumps({"start": after + 1}))
        self.sent = after
        await self._catch_up(until=None)
        build = await database_sync_to_async(selectors.build_refresh)(pk=build.pk)
        event = services.status_event(build)
        await self.send(text_data=json.dumps({"status": {k: v for k, v in event.items() if k != "type"}}))
        project = build.config.project
        self.recheck_access(lambda: project_selectors.has_role(user=user, name=project))

    async def _catch_up(self, until: int | None) -> None:
        while True:
            rows = await database_sync_to_async(selectors.build_log_rendered)(
                build_id=self.build_id, after=self.sent, limit=CHUNK, until=until
            )
            if not rows:
                return
            self.sent = rows[-1][0]
            await self.send(text_data=json.dumps({"lines": rows}))
            if len(rows) < CHUNK:
                return

    async def build_lines(self, event: dict) -> None:
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

    async def build_status(self, event: dict) -> None:
        if not verified(event):
            return
        if event.get("finished"):
            # Whatever was stored before the final status goes out before it.
            await self._catch_up(until=None)
        status = {k: v for k, v in event.items() if k not in ("type", "sig")}
        await self.send(text_data=json.dumps({"status": status}))

    async def disconnect(self, code: int) -> None:
        self.stop_recheck()
        await self.leave()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        return  # read-only
