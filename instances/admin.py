"""The inventory in the admin: instances are written by the monitor and jobs, so they are read-only
here; flavors and images are edited here."""

from django.contrib import admin

from instances.models import CachedImage, Flavor, Image, Instance
from jobs.admin import ReadOnlyAdmin


@admin.register(Instance)
class InstanceAdmin(ReadOnlyAdmin):
    list_display = ["name", "host", "state", "vcpus", "memory_mib", "flavor", "autostart", "updated"]
    list_filter = ["host", "state", "flavor"]
    search_fields = ["name", "uuid"]
    list_select_related = ["host", "flavor"]
    # rescue_definition (the original domain XML while rescued) is never shown.
    fields = readonly_fields = [
        "name", "host", "uuid", "state", "vcpus", "memory_mib", "autostart", "persistent",
        "flavor", "image", "details", "created", "updated",
    ]  # fmt: skip


@admin.register(Flavor)
class FlavorAdmin(admin.ModelAdmin):
    list_display = ["name", "vcpus", "memory_mib", "disk_gib", "graphics"]
    list_filter = ["graphics"]
    search_fields = ["name"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["name", "disk_format", "disk", "kernel", "initrd", "created"]
    search_fields = ["name"]
    fields = ["name", "disk", "disk_format", "kernel", "initrd", "cmdline", "checksums", "created"]
    readonly_fields = ["checksums", "created"]


@admin.register(CachedImage)
class CachedImageAdmin(ReadOnlyAdmin):
    list_display = ["volume", "host", "checksum", "last_used"]
    list_filter = ["host"]
    search_fields = ["volume", "checksum"]
    list_select_related = ["host"]
