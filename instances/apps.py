from importlib import import_module

from django.apps import AppConfig

# Every module that registers operations (jobs.registry.operation) when imported.
OPERATION_MODULES = (
    "instances.build", "instances.disks.operations", "instances.firewall.operations", "instances.agent.operations",
    "instances.images.operations", "instances.nics.operations", "instances.lifecycle.operations", "instances.rescue",
    "instances.snapshots.operations",
)  # fmt: skip


class InstancesConfig(AppConfig):
    name = "instances"

    def ready(self):
        for module in OPERATION_MODULES:
            import_module(module)
