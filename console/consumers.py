"""What Berth's websockets share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from channels.db import database_sync_to_async
from django.conf import settings

from kube import Unavailable

ACCESS_LOST = 4403  # the close code when the person may no longer see what the socket shows


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
                await self.close(code=ACCESS_LOST)
                return

    def stop_recheck(self) -> None:
        if self.recheck_task is not None:
            self.recheck_task.cancel()
