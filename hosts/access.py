"""Who may do what to a host: return the object or raise 404/403."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from hosts.models import Host

ACTIONS = {"view": "hosts.view_host", "change": "hosts.change_host", "delete": "hosts.delete_host"}


def get_host_for_user(request, pk: int, action: str) -> Host:
    host = get_object_or_404(Host, pk=pk)
    if not request.user.has_perm(ACTIONS[action]):
        raise PermissionDenied(f"You may not {action} this host.")
    return host
