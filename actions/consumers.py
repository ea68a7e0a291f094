"""Websockets: live state of an action."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from actions import selectors
from actions.events import action_group, verified
from actions.models import Action
from actions.services import action_status_html
from console.consumers import Counted


class ActionConsumer(Counted, AsyncWebsocketConsumer):
    """Sends the rendered status of one action whenever it changes.

    The current state goes out right after subscribing, so a browser that
    connected late (or reconnected) never shows a stale state.
    """

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        action_id = self.scope["url_route"]["kwargs"]["action_id"]
        if await database_sync_to_async(selectors.action_get)(user=user, pk=action_id) is None:
            await self.close(code=4404)
            return
        if not await self.admit(user):
            return
        self.group = action_group(action_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # Read again *after* joining the group: a change made in between is then either
        # in this read or in a message that follows it, never lost.
        action = await database_sync_to_async(Action.objects.get)(pk=action_id)
        await self.send(text_data=await database_sync_to_async(action_status_html)(action))

    async def disconnect(self, code: int) -> None:
        await self.leave()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Read-only stream: what the browser sends is ignored.
        return

    async def action_update(self, event: dict) -> None:
        if verified(event):
            await self.send(text_data=event["html"])
