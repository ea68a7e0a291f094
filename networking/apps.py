from django.apps import AppConfig


class NetworkingConfig(AppConfig):
    name = "networking"

    def ready(self) -> None:
        from networking import receivers  # noqa: F401  (connects to projects.data)
