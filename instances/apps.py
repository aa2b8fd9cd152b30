from importlib import import_module

from django.apps import AppConfig

# The feature packages: each may have views, forms, urls and operations (its job handlers).
FEATURES = (
    "lifecycle",
    "build",
    "rescue",
    "disks",
    "nics",
    "firewall",
    "snapshots",
    "agent",
    "images",
    "migration",
    "resize",
    "rebuild",
    "clone",
    "evacuation",
    "guest_type",
)


class InstancesConfig(AppConfig):
    name = "instances"

    def ready(self):
        from instances.access import job_authority
        from instances.recovery import recover, recover_host
        from jobs.authority import register_authority
        from jobs.reaper import register_recovery

        for feature in FEATURES:
            import_module(f"instances.{feature}.operations")  # registers its operations
        import_module("instances.migration.maintenance")  # and the host maintenance (a drain migrates)
        import_module("instances.images.importing")  # and image imports
        register_authority("instance", job_authority)  # jobs check their user again when they start
        register_recovery("instance", recover)  # the reaper puts an instance right when its worker died
        register_recovery("host", recover_host)  # and the guests a host's drain or evacuation was moving
        import_module("instances.signals")  # open pages are told when an instance is deleted
        from instances.images.importing import remove_written

        register_recovery("image", remove_written)  # an image import whose worker died leaves no file
