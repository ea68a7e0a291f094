"""Which Celery task runs which kind of action.

Kept apart from :mod:`actions.tasks` (which runs actions and so needs the
services) so that starting an action never imports the runner: no cycle.
"""

from __future__ import annotations

_registry: dict[str, object] = {}


def register(kind: str, task: object) -> None:
    _registry[kind] = task


def task_for_kind(kind: str):
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"no task is registered for actions of kind {kind!r}") from None


def kinds() -> list[str]:
    return sorted(_registry)
