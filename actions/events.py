"""Live events: the one place that names channel groups and publishes to them.

Everything that changes what a page shows is stored first, then published here
(STYLE: events only from actions and services, group names ``<kind>-<id>``).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def action_group(action_id: int) -> str:
    """The group an action's state changes go to."""
    return f"action-{action_id}"


def build_group(build_id: int) -> str:
    """The group of a build's log lines and status."""
    return f"build-{build_id}"


def publish(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to everyone in ``group``; the stored row stays the truth.

    A failure is logged, not raised: a viewer that misses an event catches up
    from the database when it reconnects.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.exception("could not publish to %s", group)
