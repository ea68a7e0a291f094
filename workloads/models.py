"""What Berth keeps of workloads: the commands people run in a deployment's environment
(one-off, interactive, and its deployment hooks), with their logs. Pods and deployments
themselves stay on the cluster."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from actions.events import run_group


class CommandRun(models.Model):
    """A command run once in a new pod made from a deployment's pod template (a Job)."""

    class Kind(models.TextChoices):
        COMMAND = "command", "Command"
        INTERACTIVE = "interactive", "Interactive"
        PRE_DEPLOY = "pre-deploy", "Pre-deploy hook"
        POST_DEPLOY = "post-deploy", "Post-deploy hook"

    class Status(models.TextChoices):
        PENDING = "Pending"
        RUNNING = "Running"
        SUCCEEDED = "Succeeded"
        FAILED = "Failed"

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    project = models.CharField(max_length=63, db_index=True)
    deployment = models.CharField(max_length=253)
    container = models.CharField(max_length=63)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMMAND)
    command = models.TextField()  # a shell command line (run with sh -c), or "" for a shell
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    exit_code = models.IntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    job_name = models.CharField(max_length=63, blank=True)
    pod_name = models.CharField(max_length=253, blank=True)
    action = models.ForeignKey("actions.Action", null=True, on_delete=models.SET_NULL, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)
    last_seq = models.PositiveIntegerField(default=0)
    log_bytes = models.PositiveBigIntegerField(default=0)
    # Lines of the pod's log stored so far: a worker taking over skips them.
    pod_lines = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "deployment", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.deployment} run {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def group_name(self) -> str:
        return run_group(self.pk)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class CommandLogLine(models.Model):
    run = models.ForeignKey(CommandRun, on_delete=models.CASCADE, related_name="log_lines")
    seq = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="unique_run_log_seq")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.seq}"
