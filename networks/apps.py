from django.apps import AppConfig


class NetworksConfig(AppConfig):
    name = "networks"
    verbose_name = "Networks and network filters"

    def ready(self):
        from networks import operations  # noqa: F401  (registers the operation handlers)
