"""Jobs check again, as they start, that their user may still do what they asked for: a grant
revoked, a permission removed or an account deactivated while the operation waited in the queue
stops it (the view checked when it was queued; this is the same rule, read again).

Operations without a user are the console's own work (the monitor, cron commands) and run."""

from accounts.access import NEEDS
from accounts.models import Role
from accounts.scope import RANK, scope_for
from hosts.access import ACTIONS as HOST_PERMISSIONS
from instances.access import PERMISSIONS as INSTANCE_PERMISSIONS
from jobs.registry import HANDLERS

ADD = {"host": ("hosts.add_host",), "instance": ("instances.add_instance",)}


def refusal(op) -> str | None:
    """Why the operation's user may not run it now, or None when they may."""
    user = op.user
    if user is None or (user.is_superuser and user.is_active):
        return None
    if not user.is_active:
        return f"the account {user.get_username()} is deactivated"
    action = HANDLERS[op.kind].action
    if not op.target_id:  # it creates its target (a new host)
        action = "add"
    if not user.has_perms(_permissions(op.target_type, action)):
        return f"{user.get_username()} no longer has the permission to {action} {op.target_type}s"
    scope = scope_for(user, fresh=True)
    if op.target_type == "instance" and op.target_id:
        role = scope.role_on_instance(int(op.target_id), op.host_id)
    elif op.host_id is not None:
        role = scope.role_on_host(op.host_id)
    else:
        return None  # a new host: the permission above is all it takes
    needed = Role.OPERATOR if action == "add" else NEEDS[action]
    if RANK[role] < RANK[needed]:
        return f"{user.get_username()} no longer has a grant to {action} {op.target_type} {op.target_name}"
    return None


def _permissions(target_type: str, action: str) -> tuple[str, ...]:
    if action == "add":
        return ADD.get(target_type, ())
    if target_type == "instance":
        return INSTANCE_PERMISSIONS[action]
    return (HOST_PERMISSIONS[action],)
