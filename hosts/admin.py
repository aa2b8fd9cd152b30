from django.contrib import admin

from hosts.models import Host


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    """The inventory view of hosts. Adding a host or changing how it is reached goes through the
    Hosts page, which tests the connection before saving; credentials never appear here."""

    list_display = ["name", "uri", "status", "hypervisor", "last_seen"]
    list_filter = ["status", "credential_kind"]
    search_fields = ["name", "uri"]
    fields = ["name", "uri", "console_address", "credential_kind", "username", "status", "last_error", "last_seen",
              "hypervisor", "libvirt_version", "cpus", "memory_mib", "facts_updated"]  # fmt: skip
    readonly_fields = ["uri", "credential_kind", "username", "status", "last_error", "last_seen", "hypervisor",
                       "libvirt_version", "cpus", "memory_mib", "facts_updated"]  # fmt: skip

    def has_add_permission(self, request):
        return False
