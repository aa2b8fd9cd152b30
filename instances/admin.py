from django.contrib import admin

from instances.models import Instance


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ["name", "host", "state", "uuid", "updated"]
    list_filter = ["host", "state"]
    search_fields = ["name", "uuid"]
    list_select_related = ["host"]
