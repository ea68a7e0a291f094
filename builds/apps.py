from django.apps import AppConfig


class BuildsConfig(AppConfig):
    name = "builds"

    def ready(self) -> None:
        from builds import receivers  # noqa: F401  (connects to projects.data)
