"""Live events: the one place that names channel groups and publishes to them.

Everything that changes what a page shows is stored first, then published here
(STYLE: events only from actions and services, group names ``<kind>-<id>``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils.crypto import constant_time_compare, salted_hmac

logger = logging.getLogger(__name__)


def action_group(action_id: int) -> str:
    """The group an action's state changes go to."""
    return f"action-{action_id}"


def build_group(build_id: int) -> str:
    """The group of a build's log lines and status."""
    return f"build-{build_id}"


def run_group(run_id: int) -> str:
    """The group of a command run's log lines and status."""
    return f"run-{run_id}"


def _signature(event: dict[str, Any]) -> str:
    body = json.dumps({k: v for k, v in event.items() if k != "sig"}, sort_keys=True, separators=(",", ":"))
    return salted_hmac("berth.events", body, algorithm="sha256").hexdigest()


def verified(event: dict[str, Any]) -> bool:
    """Whether ``event`` was published by Berth (signed with its secret key). Consumers send
    the browser only what passes: whoever else can write to Redis cannot put markup or
    lines on anyone's page."""
    ok = constant_time_compare(str(event.get("sig", "")), _signature(event))
    if not ok:
        logger.warning("dropped an unsigned or altered %s event", event.get("type", "?"))
    return ok


def publish(group: str, event: dict[str, Any]) -> None:
    """Send ``event``, signed, to everyone in ``group``; the stored row stays the truth.

    A failure is logged, not raised: a viewer that misses an event catches up
    from the database when it reconnects.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    event = {**event, "sig": _signature(event)}
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.exception("could not publish to %s", group)
