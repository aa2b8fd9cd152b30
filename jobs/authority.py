"""Jobs check again, as they start, that their user may still do what they asked for: a grant
revoked, a permission removed or an account deactivated while the operation waited in the queue
stops it (the view checked when it was queued; this is the same rule, read again).

The rule for each kind of target comes from the app that owns it: in its AppConfig.ready() it
calls `register_authority("host", check)`, where `check(op, action)` returns why the operation's
user may no longer do `action` (view, change, delete, console, add) to the target, or None.
Operations without a user are the console's own work (the monitor, cron commands) and run."""

import copy
from collections.abc import Callable

from jobs.registry import HANDLERS

Check = Callable[..., str | None]
CHECKS: dict[str, Check] = {}


def register_authority(target_type: str, check: Check) -> None:
    """`check(op, action)` decides for operations whose target_type is `target_type`."""
    CHECKS[target_type] = check


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
    check = CHECKS.get(op.target_type)
    if check is None:  # no app said who may: nobody but superusers
        return f"nothing says who may {action} {op.target_type}s"
    return check(op, action)


def stop_refusal(user, op) -> str | None:
    """Why `user` may not cancel or abort `op`, or None: it takes the same right on the target as
    starting it (superusers always may)."""
    if user.is_superuser and user.is_active:
        return None
    if not user.is_active:
        return f"the account {user.get_username()} is deactivated"
    as_user = copy.copy(op)
    as_user.user = user
    return refusal(as_user)
