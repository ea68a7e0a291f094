from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "images"

    def ready(self) -> None:
        from images import receivers  # noqa: F401  (connects to projects.data)
