from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "storage"
    verbose_name = "Storage pools and volumes"

    def ready(self):
        from storage import operations  # noqa: F401  (registers the storage operations)
