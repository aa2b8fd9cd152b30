"""Who may do what to a host: return the object or raise 404/403 (see accounts.access)."""

from django.shortcuts import get_object_or_404

from accounts.access import check, job_refusal
from accounts.scope import scope_for
from hosts.models import Host

ACTIONS = {"view": "hosts.view_host", "change": "hosts.change_host", "delete": "hosts.delete_host"}


def get_host_for_user(request, pk: int, action: str) -> Host:
    host = get_object_or_404(Host, pk=pk)
    role = scope_for(request.user).role_on_host(host.pk)
    check(request, perms=(ACTIONS[action],), role=role, action=action, what=f"host {host.pk}")
    return host


def job_authority(op, action: str) -> str | None:
    """For jobs.authority: why the user of an operation on a host may no longer run it."""
    perms = ("hosts.add_host",) if action == "add" else (ACTIONS[action],)
    role_of = None if op.host_id is None else (lambda scope: scope.role_on_host(op.host_id))
    return job_refusal(op, action, perms=perms, role_of=role_of)
