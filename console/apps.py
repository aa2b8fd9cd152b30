from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"

    def ready(self):
        from console import operations  # noqa: F401  (registers instance.console_log)
