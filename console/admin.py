from django.contrib import admin

from console.models import ConsoleSession
from jobs.admin import ReadOnlyAdmin


@admin.register(ConsoleSession)
class ConsoleSessionAdmin(ReadOnlyAdmin):
    """The console audit: who opened which console, from where, and for how long."""

    list_display = ["started", "user", "instance_name", "kind", "client", "ended", "duration", "end_reason"]
    list_filter = ["kind", "started"]
    search_fields = ["instance_name", "user__username", "client"]
    list_select_related = ["user"]
    date_hierarchy = "started"
