"""The edit history kept the webhook secrets of every revision, so a rotated secret lived
on there: drop them from the revisions kept."""

from django.db import migrations


def forget_secrets(apps, schema_editor):
    Revision = apps.get_model("builds", "BuildConfigRevision")
    for revision in Revision.objects.all().iterator():
        triggers = (revision.spec or {}).get("triggers") or []
        changed = False
        for trigger in triggers:
            for key in ("github", "generic"):
                if isinstance(trigger.get(key), dict) and "secret" in trigger[key]:
                    del trigger[key]["secret"]
                    changed = True
        if changed:
            revision.save(update_fields=["spec"])


class Migration(migrations.Migration):
    dependencies = [("builds", "0007_log_bytes")]

    operations = [migrations.RunPython(forget_secrets, migrations.RunPython.noop)]
