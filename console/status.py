"""The colour of every status Berth shows, in one place (PatternFly label modifiers)."""

from __future__ import annotations

STATUS_COLOURS = {
    # projects
    "active": "green",
    "terminating": "orange",
    # actions
    "queued": "",
    "running": "blue",
    "succeeded": "green",
    "failed": "red",
    # builds
    "new": "",
    "pending": "blue",
    "complete": "green",
    "cancelled": "orange",
    # volumes
    "bound": "green",
    "lost": "red",
    "released": "orange",
}


def status_class(status: str) -> str:
    """``pf-m-<colour>`` for a status (any case), or "" for a neutral one."""
    colour = STATUS_COLOURS.get((status or "").lower(), "")
    return f"pf-m-{colour}" if colour else ""
