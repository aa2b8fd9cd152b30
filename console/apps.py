from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"

    def ready(self):
        from console import log_operations  # noqa: F401  (registers instance.console_log)
