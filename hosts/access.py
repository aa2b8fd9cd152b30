"""Who may do what to a host: return the object or raise 404/403 (see accounts.access)."""

from django.shortcuts import get_object_or_404

from accounts.access import check
from accounts.scope import scope_for
from hosts.models import Host

ACTIONS = {"view": "hosts.view_host", "change": "hosts.change_host", "delete": "hosts.delete_host"}


def get_host_for_user(request, pk: int, action: str) -> Host:
    host = get_object_or_404(Host, pk=pk)
    role = scope_for(request.user).role_on_host(host.pk)
    check(request, perms=(ACTIONS[action],), role=role, action=action, what=f"host {host.pk}")
    return host
