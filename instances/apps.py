from django.apps import AppConfig


class InstancesConfig(AppConfig):
    name = "instances"

    def ready(self):
        # Registers the instance operations.
        from instances import build, guest_agent, housekeeping, interfaces, lifecycle, rescue, volumes  # noqa: F401
