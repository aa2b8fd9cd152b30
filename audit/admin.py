from django.contrib import admin

from audit.models import AuditEntry
from jobs.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log: readable here, never added, edited or deleted by hand."""

    list_display = ["time", "username", "action", "object_type", "object_name", "outcome", "client_address"]
    list_filter = ["action", "outcome", "object_type"]
    search_fields = ["username", "object_name", "detail"]
    date_hierarchy = "time"
    show_full_result_count = False
