"""Who may do what to an instance: return the object or raise 404/403. Per-object grants go here."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from instances.models import Instance

# Deleting is also a change: it is an operation on the instance like any other.
PERMISSIONS = {
    "view": ("instances.view_instance",),
    "change": ("instances.change_instance",),
    "delete": ("instances.change_instance", "instances.delete_instance"),
    "console": ("instances.view_instance", "instances.console_instance"),
}


def get_instance_for_user(request, pk: int, action: str) -> Instance:
    instance = get_object_or_404(Instance.objects.select_related("host", "flavor", "image"), pk=pk)
    if not request.user.has_perms(PERMISSIONS[action]):
        raise PermissionDenied(f"You may not {action} this instance.")
    return instance
