"""The one rule for object access: the model permission for the action (the role's kind of
work), then a grant covering the object with a role strong enough. Without the permission:
403; without any grant on the object: 404, so ids cannot be probed; with too weak a role: 403.
The same rule, read again when a job starts: job_refusal (the apps register it with jobs.authority)."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Role
from accounts.scope import RANK, Scope, scope_for
from audit.services import record_denied

# The role an action needs on the object.
NEEDS = {"view": Role.VIEWER, "change": Role.OPERATOR, "delete": Role.OPERATOR, "console": Role.OPERATOR}


def check(request, *, perms: tuple[str, ...], role: str | None, action: str, what: str) -> None:
    """Raise PermissionDenied / Http404 unless the user may do `action` on the object `what`
    (their role on it is `role`)."""
    if not request.user.has_perms(perms):
        _denied(request, what, action, "missing permission")
        raise PermissionDenied(f"You may not {action} {what}.")
    if role is None:
        _denied(request, what, action, "no grant")
        raise Http404(f"No {what.split(' ')[0]} here.")
    if RANK[role] < RANK[NEEDS[action]]:
        _denied(request, what, action, f"role {role}")
        raise PermissionDenied(f"Your role on {what} does not allow you to {action} it.")


def _denied(request, what: str, action: str, why: str) -> None:
    record_denied(request, f"{action} {what} ({why})")


RoleOf = Callable[[Scope], str | None]


def job_refusal(op, action: str, *, perms: tuple[str, ...], role_of: RoleOf | None) -> str | None:
    """Why the operation's user may no longer do `action` to its target (permissions `perms`, then
    the role `role_of` finds in their grants read again; None: no grant to check), or None."""
    user = op.user
    if not user.has_perms(perms):
        return f"{user.get_username()} no longer has the permission to {action} {op.target_type}s"
    if role_of is None:
        return None  # a new host: the permission is all it takes
    needed = Role.OPERATOR if action == "add" else NEEDS[action]
    if RANK[role_of(scope_for(user, fresh=True))] < RANK[needed]:
        return f"{user.get_username()} no longer has a grant to {action} {op.target_type} {op.target_name}"
    return None
