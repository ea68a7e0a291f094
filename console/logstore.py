"""Stored logs that browsers follow live: a build's, a command's.

Lines are stored in order with a sequence number, *then* published to the owner's
group as ``log.lines`` (the websocket refers to stored lines; STYLE: store first, then
publish). :class:`console.consumers.StoredLogConsumer` serves them, resumably. An owner
model has ``last_seq`` and ``log_bytes``; its line model has ``seq``, ``text`` and a
foreign key to it.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from actions.events import publish
from console.ansi import ansi_to_html

LOG_LINE_CHARACTERS = 10_000  # a longer line is cut

# Lines read back for viewers catching up (a page opened, a viewer that fell behind) are
# the same lines for every viewer of a log: a line of up to CACHED_LINE characters is
# rendered once per process while it is among the CACHED_LINES most recent (a few MB at
# most; a typical 100-character line costs about 400 bytes here).
CACHED_LINES, CACHED_LINE = 5000, 1000
_as_html_cached = functools.lru_cache(maxsize=CACHED_LINES)(ansi_to_html)


def _as_html(text: str) -> str:
    return _as_html_cached(text) if len(text) <= CACHED_LINE else ansi_to_html(text)


def within_limit(stored: int, lines: list[str], *, limit: int, marker: str) -> tuple[list[str], int]:
    """The lines to store after ``stored`` bytes, and the size after them: at ``limit``
    the ``marker`` line ends the log, and nothing is stored after it."""
    kept: list[str] = []
    for text in lines:
        if stored >= limit:
            break
        text = text[:LOG_LINE_CHARACTERS]
        size = len(text.encode())
        if stored + size > limit:
            kept.append(marker)
            stored = limit
            break
        kept.append(text)
        stored += size
    return kept, stored


def append(
    *,
    owner: models.Model,
    line_model: type[models.Model],
    owner_field: str,
    lines: list[str],
    limit: int,
    marker: str,
    group: str,
    fields: dict[str, Any] | None = None,
) -> int:
    """Store ``lines`` after the owner's last sequence number (with ``fields`` of the
    owner, in the same transaction), then tell the viewers; the new last sequence."""
    kept, size = within_limit(owner.log_bytes, lines, limit=limit, marker=marker)
    first = owner.last_seq + 1
    rows = [line_model(**{owner_field: owner, "seq": first + i, "text": text}) for i, text in enumerate(kept)]
    with transaction.atomic():
        line_model.objects.bulk_create(rows)
        changed = {"last_seq": first + len(rows) - 1, "log_bytes": size, **(fields or {})}
        type(owner).objects.filter(pk=owner.pk).update(**changed)
        for key, value in changed.items():
            setattr(owner, key, value)
    if rows:
        # Encoded once here, not once per viewer: every consumer sends the same text.
        payload = json.dumps({"lines": [[row.seq, ansi_to_html(row.text)] for row in rows]})
        publish(group, {"type": "log.lines", "first": first, "last": owner.last_seq, "payload": payload})
    return owner.last_seq


def rendered(
    lines: models.QuerySet, *, after: int, limit: int, until: int | None = None
) -> list[list[int | str]]:
    """Stored lines after ``after`` (up to ``until``) as ``[seq, escaped html]``."""
    lines = lines.filter(seq__gt=after)
    if until is not None:
        lines = lines.filter(seq__lte=until)
    return [[seq, _as_html(text)] for seq, text in lines.order_by("seq").values_list("seq", "text")[:limit]]


def before(lines: models.QuerySet, *, before: int, limit: int) -> list[list[int | str]]:
    """The ``limit`` stored lines before ``before``, in order, as ``[seq, escaped html]``."""
    rows = lines.filter(seq__lt=before).order_by("-seq").values_list("seq", "text")[:limit]
    return [[seq, _as_html(text)] for seq, text in reversed(list(rows))]


def text(lines: models.QuerySet, *, chunk: int = 5000):
    """Every stored line, as plain text, a chunk at a time (for the raw download)."""
    after = 0
    while True:
        rows = list(lines.filter(seq__gt=after).order_by("seq").values_list("seq", "text")[:chunk])
        if not rows:
            return
        after = rows[-1][0]
        yield "".join(f"{line}\n" for _, line in rows)


def status_set(
    owner: models.Model,
    *,
    status: str,
    running: str,
    finished: tuple[str, ...],
    message: str | None = None,
    fields: dict[str, Any] | None = None,
) -> None:
    """Move the owner to ``status``: ``started_at`` set when it starts ``running``,
    ``finished_at`` when it is one of ``finished``, with ``message`` and ``fields``. Only
    what changed is saved: its log's fields are written by others meanwhile."""
    fields = fields or {}
    now = timezone.now()
    changed = {"status", *fields}
    owner.status = status
    if status == running and not owner.started_at:
        owner.started_at = now
        changed.add("started_at")
    if status in finished:
        owner.finished_at = now
        owner.started_at = owner.started_at or now
        changed |= {"finished_at", "started_at"}
    if message is not None:
        owner.message = message
        changed.add("message")
    for key, value in fields.items():
        setattr(owner, key, value)
    owner.save(update_fields=sorted(changed))
