from django.conf import settings
from django.db import models


class ProjectTemplate(models.Model):
    """A template a member saved in a project, to deploy again (the project's catalog); one
    with no project is every project's (a cluster administrator added it)."""

    project = models.CharField(max_length=63, db_index=True)  # "": every project
    name = models.CharField(max_length=253)  # the template's metadata.name
    display_name = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    text = models.TextField()  # as uploaded: JSON or YAML, at most 1 MiB
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="one_template_a_name_a_project")
        ]

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"
