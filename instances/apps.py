from django.apps import AppConfig


class InstancesConfig(AppConfig):
    name = "instances"

    def ready(self):
        # Registers the instance operations.
        import instances.firewall  # noqa: F401
        from instances import build, guest_agent, housekeeping, interfaces, lifecycle, rescue, snapshots, volumes  # noqa: F401
