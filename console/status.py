"""The colour of every status Berth shows, in one place (PatternFly label modifiers).
A status that is not here (queued, new…) is shown neutral."""

from __future__ import annotations

STATUS_COLOURS = {
    # projects
    "active": "green",
    "terminating": "orange",
    # actions
    "running": "blue",
    "succeeded": "green",
    "failed": "red",
    # builds
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
