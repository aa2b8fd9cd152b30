from django.contrib import admin
from django.utils import timezone

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made on their user's own page (their secret is shown once there); here they are
    seen and revoked."""

    list_display = ["name", "user", "key_id", "read_only", "created", "last_used", "expires", "revoked"]
    list_filter = ["read_only"]
    search_fields = ["name", "user__username", "key_id"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "key_id", "created", "last_used", "revoked"]
    exclude = ["secret_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = queryset.filter(revoked__isnull=True).update(revoked=timezone.now())
        self.message_user(request, f"{revoked} token(s) revoked.")
