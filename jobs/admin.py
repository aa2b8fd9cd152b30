from django.contrib import admin

from jobs.models import Operation


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the console itself: readable in the admin, never added, edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    """Operations are a record: readable here, never edited by hand."""

    list_display = ["id", "kind", "target_name", "host", "user", "status", "progress", "created", "finished"]
    list_filter = ["status", "kind", "target_type"]
    search_fields = ["target_name", "target_id", "kind"]
    list_select_related = ["user", "host"]
    exclude = ["params"]  # may hold encrypted secrets: never shown, not even as a read-only field
