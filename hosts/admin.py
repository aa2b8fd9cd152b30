from django.contrib import admin

from hosts.models import Host


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["name", "uri", "status", "hypervisor", "last_seen"]
    list_filter = ["status"]
    search_fields = ["name", "uri"]
    readonly_fields = ["status", "last_error", "last_seen", "hypervisor", "libvirt_version", "cpus", "memory_mib"]
