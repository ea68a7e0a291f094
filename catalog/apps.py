from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Templates and the catalog"

    def ready(self) -> None:
        from catalog import receivers  # noqa: F401  (connects to projects.data)
