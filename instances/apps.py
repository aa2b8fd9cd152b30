from importlib import import_module

from django.apps import AppConfig

# The feature packages: each may have views, forms, urls and operations (its job handlers).
FEATURES = ("lifecycle", "build", "rescue", "disks", "nics", "firewall", "snapshots", "agent", "images")


class InstancesConfig(AppConfig):
    name = "instances"

    def ready(self):
        for feature in FEATURES:
            import_module(f"instances.{feature}.operations")  # registers its operations
