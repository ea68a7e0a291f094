from django.apps import AppConfig


class BuildsConfig(AppConfig):
    name = "builds"

    def ready(self) -> None:
        # Action kinds register on import; views queue them before Celery's
        # autodiscovery has necessarily run in the web process.
        from builds import tasks  # noqa: F401
