"""The one rule for object access: the model permission for the action (the role's kind of
work), then a grant covering the object with a role strong enough. Without the permission:
403; without any grant on the object: 404, so ids cannot be probed; with too weak a role: 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Role
from accounts.scope import RANK
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
