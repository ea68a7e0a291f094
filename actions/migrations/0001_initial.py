"""The Action model moves here from the projects app, where it began.

A database that has it already keeps its rows: the table and its index are
renamed, and the model changes app in Django's state only. A new database gets
the table from projects' first migration, renamed the same way.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rename_table(apps, schema_editor):
    old = apps.get_model("projects", "Action")
    index = old._meta.indexes[0]
    renamed = models.Index(fields=index.fields, name="actions_act_project_c49433_idx")
    schema_editor.rename_index(old, index, renamed)  # while the table has its old name
    schema_editor.alter_db_table(old, "projects_action", "actions_action")


def rename_table_back(apps, schema_editor):
    model = apps.get_model("projects", "Action")
    schema_editor.alter_db_table(model, "actions_action", "projects_action")
    index = model._meta.indexes[0]
    renamed = models.Index(fields=index.fields, name="actions_act_project_c49433_idx")
    schema_editor.rename_index(model, renamed, index)


class Migration(migrations.Migration):
    initial = True

    # After every table that refers to the old one, so that the rename updates them.
    dependencies = [
        ("projects", "0001_initial"),
        ("builds", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(rename_table, rename_table_back)],
            state_operations=[
                migrations.CreateModel(
                    name="Action",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("kind", models.CharField(max_length=64)),
                        ("project", models.CharField(blank=True, db_index=True, max_length=63)),
                        ("target", models.CharField(blank=True, max_length=255)),
                        ("parameters", models.JSONField(blank=True, default=dict)),
                        ("requested_by_name", models.CharField(max_length=150)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("running", "Running"),
                                    ("succeeded", "Succeeded"),
                                    ("failed", "Failed"),
                                ],
                                db_index=True,
                                default="queued",
                                max_length=16,
                            ),
                        ),
                        ("progress", models.PositiveSmallIntegerField(default=0)),
                        ("message", models.TextField(blank=True)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "requested_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="actions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["project", "-created_at"], name="actions_act_project_c49433_idx"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
