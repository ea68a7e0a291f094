from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class ActionsConfig(AppConfig):
    name = "actions"

    def ready(self) -> None:
        # Every domain's tasks.py registers its action kinds on import. The web
        # process queues them (and so must know them) before Celery's own
        # autodiscovery has necessarily run.
        autodiscover_modules("tasks")
        from actions import receivers  # noqa: F401  (connects to projects.data)
