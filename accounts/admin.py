from django.contrib import admin

from accounts.models import Grant
from audit.models import AuditAction
from audit.services import record


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "role", "user", "group", "host", "instance", "created", "created_by"]
    list_filter = ["role", "host"]
    search_fields = ["user__username", "group__name", "host__name", "instance__name"]
    list_select_related = ["user", "group", "host", "instance", "created_by"]
    readonly_fields = ["created", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        record(action=AuditAction.GRANT_ADD, user=request.user, object_type="grant", object_id=str(obj.pk),
               object_name=str(obj), detail="changed in the admin" if change else "", request=request)  # fmt: skip

    def delete_model(self, request, obj):
        record(action=AuditAction.GRANT_REMOVE, user=request.user, object_type="grant", object_id=str(obj.pk),
               object_name=str(obj), request=request)  # fmt: skip
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for grant in queryset:
            self.delete_model(request, grant)
