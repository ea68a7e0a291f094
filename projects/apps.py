from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self) -> None:
        # Celery's autodiscovery finds projects.tasks only; the sub-packages'
        # tasks register themselves on import.
        from projects.networking import tasks as networking_tasks  # noqa: F401
        from projects.workloads import tasks as workloads_tasks  # noqa: F401
