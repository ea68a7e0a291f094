"""Berth's data about a project is the data of one namespace, by UID.

Everything Berth keeps about a project (build configs and their secrets, builds, logs,
images in the integrated registry, the actions) is filed under the project's name. Names
are reused: a namespace deleted and created again is someone else's project. So every
way into a project's data — its pages and sockets, an action's page, a webhook — first
calls :func:`bind` with the namespace it found, and the data of an older namespace of that
name is purged before anything reads it. Deleting a project through Berth purges it too
(:func:`purge`). Each domain that keeps data connects to :data:`project_data_purged`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.dispatch import Signal

from projects.cluster import Project
from projects.models import ProjectRecord

log = logging.getLogger(__name__)

# Sent with ``name`` (the project's name), ``keep_action`` (the id of the action that
# created the current namespace, or None) and ``before`` (None: everything of that name;
# a datetime: only what was made before it). Receivers delete what they keep.
project_data_purged = Signal()


def delete_rows(rows, *, before, date_field: str = "created_at") -> int:
    """Delete ``rows`` (a project's, for a receiver): all of them, or with ``before``
    only those made before it. Returns how many went, cascades included."""
    if before is not None:
        rows = rows.filter(**{f"{date_field}__lt": before})
    count, _ = rows.delete()
    return count


def bind(project: Project) -> None:
    """Make sure the data kept under the project's name is its namespace's (by UID).

    A record of another UID means the project was deleted and made again: everything kept
    under the name is purged, except the action that created the new namespace. Without a
    record (data from before records were kept), what was made before the namespace
    existed is purged: it cannot be this namespace's.
    """
    name, uid, created = project.name, project.uid, project.created
    if not uid:
        return
    record = ProjectRecord.objects.filter(name=name).only("uid").first()
    if record is not None and record.uid == uid:
        return
    with transaction.atomic():
        record = ProjectRecord.objects.select_for_update().filter(name=name).first()
        if record is not None and record.uid == uid:
            return  # someone else bound it meanwhile
        # Kubernetes' timestamps are whole seconds: a second's margin keeps what the
        # namespace's first moments made.
        before = None if record is not None else (created - timedelta(seconds=1) if created else None)
        if record is not None or before is not None:
            _purge(name, keep_action=project.created_by_action, before=before)
        ProjectRecord.objects.update_or_create(name=name, defaults={"uid": uid})


def purge(*, name: str, keep_action: int | None = None) -> None:
    """Forget the project ``name`` (deleted): its data, and the record of its namespace."""
    with transaction.atomic():
        _purge(name, keep_action=keep_action, before=None)
        ProjectRecord.objects.filter(name=name).delete()


def _purge(name: str, *, keep_action: int | None, before) -> None:
    results = project_data_purged.send(
        sender=ProjectRecord, name=name, keep_action=keep_action, before=before
    )
    counts = ", ".join(f"{what}: {count}" for _, (what, count) in results if count)
    log.info("Purged the data of an earlier project %s (%s)", name, counts or "nothing kept")
