"""Build configs, builds, their logs, image history and webhook deliveries.

A build config carries the fields of OpenShift's ``BuildConfig`` spec, so one can
be exported to (or written from) OpenShift YAML: see :meth:`BuildConfig.to_openshift`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from actions.events import build_group
from builds.detect import DEFAULT_BUILDER_IMAGE

# What a person sets on a build config (the form's fields, the services' writes).
CONFIG_FIELDS = (
    "git_uri",
    "git_ref",
    "context_dir",
    "source_secret",
    "strategy",
    "builder_image",
    "dockerfile_path",
    "env",
    "output_image",
    "trigger_github",
    "trigger_generic",
    "trigger_config_change",
    "trigger_image_change",
    "post_commit",
    "incremental",
)


class BuildConfig(models.Model):
    class Strategy(models.TextChoices):
        SOURCE = "source", "Source (Berth's Python builder)"
        DOCKER = "docker", "Docker (the repository's Dockerfile)"

    project = models.CharField(max_length=63, db_index=True)
    name = models.CharField(max_length=50)
    git_uri = models.CharField("Git repository", max_length=500)
    git_ref = models.CharField("Git ref", max_length=255, blank=True)
    context_dir = models.CharField("Context directory", max_length=255, blank=True)
    # A Secret of the project for a private repository: kubernetes.io/basic-auth
    # (HTTPS user name and token) or kubernetes.io/ssh-auth (SSH key). Only this
    # config's source and build pods mount it.
    source_secret = models.CharField("Source secret", max_length=253, blank=True)
    strategy = models.CharField(max_length=16, choices=Strategy.choices, default=Strategy.SOURCE)
    builder_image = models.CharField(max_length=500, default=DEFAULT_BUILDER_IMAGE)
    dockerfile_path = models.CharField(max_length=255, default="Dockerfile", blank=True)
    env = models.JSONField(default=dict, blank=True)
    output_image = models.CharField(max_length=500)
    trigger_github = models.BooleanField(default=True)
    trigger_generic = models.BooleanField(default=True)
    trigger_config_change = models.BooleanField(default=False)
    trigger_image_change = models.BooleanField(default=False)
    github_secret = models.CharField(max_length=64)
    generic_secret = models.CharField(max_length=64)
    post_commit = models.CharField("Post-commit script", max_length=1000, blank=True)
    # Reuse the dependencies an earlier build installed while the requirements files and
    # the builder image stay the same (OpenShift's sourceStrategy.incremental).
    incremental = models.BooleanField(default=True)
    # The plan detection made from the newest checkout (shown before anyone builds).
    plan = models.JSONField(null=True, blank=True)
    plan_error = models.TextField(blank=True)
    plan_commit = models.CharField(max_length=64, blank=True)
    plan_detected_at = models.DateTimeField(null=True, blank=True)
    next_number = models.PositiveIntegerField(default=1)
    # Builds started by a webhook run as the person who last saved the config.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_build_config_name")]

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"

    @property
    def stream_tag(self) -> str:
        """The ImageStreamTag name a Deployment's trigger names, e.g. ``web:latest``."""
        last = self.output_image.rsplit("/", 1)[-1].split("@", 1)[0]
        return last if ":" in last else f"{last}:latest"

    @property
    def output_repository(self) -> str:
        image = self.output_image.split("@", 1)[0]
        head, _, last = image.rpartition("/")
        return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]

    def to_openshift(self, *, secrets: bool = True) -> dict:
        """The config as an OpenShift ``BuildConfig`` (build.openshift.io/v1); without the
        webhook secrets when ``secrets`` is false (what history and exports keep)."""
        env = [{"name": k, "value": v} for k, v in self.env.items()]
        if self.strategy == self.Strategy.SOURCE:
            strategy = {
                "type": "Source",
                "sourceStrategy": {
                    "from": {"kind": "DockerImage", "name": self.builder_image},
                    "env": env,
                    "incremental": self.incremental,
                },
            }
        else:
            strategy = {
                "type": "Docker",
                "dockerStrategy": {"dockerfilePath": self.dockerfile_path or "Dockerfile", "env": env},
            }
        triggers = []
        if self.trigger_github:
            triggers.append({"type": "GitHub", "github": {"secret": self.github_secret} if secrets else {}})
        if self.trigger_generic:
            triggers.append(
                {"type": "Generic", "generic": {"secret": self.generic_secret} if secrets else {}}
            )
        if self.trigger_config_change:
            triggers.append({"type": "ConfigChange"})
        if self.trigger_image_change:
            triggers.append({"type": "ImageChange", "imageChange": {}})
        source: dict = {"type": "Git", "git": {"uri": self.git_uri}}
        if self.git_ref:
            source["git"]["ref"] = self.git_ref
        if self.context_dir:
            source["contextDir"] = self.context_dir
        spec = {
            "source": source,
            "strategy": strategy,
            "output": {"to": {"kind": "DockerImage", "name": self.output_image}},
            "triggers": triggers,
        }
        if self.post_commit:
            spec["postCommit"] = {"script": self.post_commit}
        return {
            "apiVersion": "build.openshift.io/v1",
            "kind": "BuildConfig",
            "metadata": {"name": self.name, "namespace": self.project},
            "spec": spec,
        }


class BuildConfigRevision(models.Model):
    """The edit history: the config's OpenShift spec after each save."""

    config = models.ForeignKey(BuildConfig, on_delete=models.CASCADE, related_name="revisions")
    spec = models.JSONField()
    changed_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.config} by {self.changed_by_name}"


class Build(models.Model):
    class Status(models.TextChoices):
        NEW = "New"
        PENDING = "Pending"
        RUNNING = "Running"
        COMPLETE = "Complete"
        FAILED = "Failed"
        CANCELLED = "Cancelled"

    FINISHED = (Status.COMPLETE, Status.FAILED, Status.CANCELLED)

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Started by hand"
        GITHUB = "github", "GitHub webhook"
        GENERIC = "generic", "Generic webhook"
        CONFIG_CHANGE = "config-change", "Config change"
        IMAGE_CHANGE = "image-change", "Builder image changed"

    config = models.ForeignKey(BuildConfig, on_delete=models.CASCADE, related_name="builds")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW, db_index=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    action = models.ForeignKey("actions.Action", null=True, on_delete=models.SET_NULL, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)
    git_ref = models.CharField(max_length=255, blank=True)
    commit = models.CharField(max_length=64, blank=True)
    commit_message = models.CharField(max_length=500, blank=True)
    plan = models.JSONField(null=True, blank=True)
    output_image = models.CharField(max_length=500, blank=True)
    image_digest = models.CharField(max_length=80, blank=True)
    simulated = models.BooleanField(default=False)
    message = models.TextField(blank=True)
    pod_name = models.CharField(max_length=253, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    # Where the stored log ends in the build pod's own log: the container, the kubelet's
    # timestamp of the last stored line, and how many stored lines carry that timestamp.
    # A worker that takes over a build follows on from there (nothing lost, nothing twice).
    log_container = models.CharField(max_length=63, blank=True)
    log_timestamp = models.CharField(max_length=40, blank=True)
    log_timestamp_lines = models.PositiveIntegerField(default=0)
    # The stored log's size; at BERTH_BUILD_LOG_BYTES a marker line ends it and the rest
    # of the pod's log is dropped (the build goes on).
    log_bytes = models.PositiveBigIntegerField(default=0)
    # Written by the worker following the build every few seconds: a stale one means
    # that worker is gone and another takes over (builds.tasks.orphaned_builds_requeue).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["config", "number"], name="unique_build_number")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.config.name}-{self.number}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def group_name(self) -> str:
        return build_group(self.pk)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class BuildLogLine(models.Model):
    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="log_lines")
    seq = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["build", "seq"], name="unique_build_log_seq")]

    def __str__(self) -> str:
        return f"{self.build_id}:{self.seq}"


class ImageTag(models.Model):
    """The config's image history: each Complete build's image."""

    config = models.ForeignKey(BuildConfig, on_delete=models.CASCADE, related_name="image_tags")
    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="+")
    tag = models.CharField(max_length=128)
    image = models.CharField(max_length=600)  # repository@digest: what Deployments get
    digest = models.CharField(max_length=80)
    rolled_out_to = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.image


class WebhookDelivery(models.Model):
    """Every webhook call that named a config: the audit trail and replay protection."""

    config = models.ForeignKey(BuildConfig, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)  # github or generic
    event = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=300)
    build = models.ForeignKey(Build, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    remote_addr = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["config", "delivery_id"], name="unique_webhook_delivery")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delivery_id}"
