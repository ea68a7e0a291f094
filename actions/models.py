from __future__ import annotations

from django.conf import settings
from django.db import models

from actions.events import action_group


class Action(models.Model):
    """One long or mutating operation a person started: the queue entry and its audit row."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED = (State.SUCCEEDED, State.FAILED)

    kind = models.CharField(max_length=64)
    project = models.CharField(max_length=63, blank=True, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="actions"
    )
    # Kept apart from the foreign key so the audit trail survives a deleted account.
    requested_by_name = models.CharField(max_length=150)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved by the worker running it (and by whoever re-sends it): a running action whose
    # heartbeat stops lost its worker and is taken over (actions.tasks.orphaned_actions_requeue).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def next_url(self) -> str:
        """Where the person goes once the action succeeded (a local path only)."""
        url = str(self.parameters.get("next", ""))
        return url if url.startswith("/") and not url.startswith("//") else ""

    @property
    def group_name(self) -> str:
        return action_group(self.pk)
