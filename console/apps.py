from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Berth console"

    def ready(self) -> None:
        # Before any urls.py or routing.py is read: they name these converters.
        from console import converters

        converters.register()
