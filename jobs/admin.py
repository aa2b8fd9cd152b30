from django.contrib import admin

from jobs.models import Operation


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    """Operations are a record: readable here, never edited by hand."""

    list_display = ["id", "kind", "target_name", "host", "user", "status", "progress", "created", "finished"]
    list_filter = ["status", "kind", "target_type"]
    search_fields = ["target_name", "target_id", "kind"]
    list_select_related = ["user", "host"]
    exclude = ["params"]  # may hold encrypted secrets: never shown, not even as a read-only field

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
