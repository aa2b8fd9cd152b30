"""Operations through the guest agent: quiesce (freeze the guest's filesystems), unquiesce (thaw
them) and set a user's password. The password travels encrypted in the operation's input and is
erased from it before anything else happens; it is never logged nor part of the result."""

from contextlib import contextmanager

from hosts.credentials import UnreadableSecret, decrypt
from instances.agent.forms import set_password_params
from instances.models import Instance
from instances.operation_support import done, on_instance, require_state
from instances.services import request_operation
from jobs.models import Operation
from jobs.registry import OperationFailed, operation

AGENT_WAIT = 20  # seconds to wait for the agent of a guest that has just booted


def request_set_password(*, instance: Instance, user, username: str, password: str) -> Operation:
    """Queue setting `username`'s password in the guest; the password is kept encrypted."""
    params = set_password_params(username, password)
    return request_operation(instance=instance, kind="instance.set_password", user=user, params=params)


@contextmanager
def _agent_ready(op, report, message: str, action: str):
    """On the instance, in a state the action table allows `action` in (running), its agent
    answering (waiting a little for a guest just booted)."""
    with on_instance(op, report, message) as ctx:
        require_state(ctx, action)
        report(20, "Waiting for the guest agent")
        ctx.guest.wait_for_agent(timeout=float(op.params.get("agent_wait", AGENT_WAIT)))
        yield ctx


@operation("instance.quiesce", label="Quiesce instance")
def quiesce(op, report):
    with _agent_ready(op, report, "Quiescing", "quiesce") as ctx:
        report(50, "Freezing the guest's filesystems")
        frozen = ctx.guest.freeze_filesystems()
        return {**done(ctx, report), "frozen": frozen, "message": f"Froze {frozen} filesystem(s)"}


@operation("instance.unquiesce", label="Unquiesce instance")
def unquiesce(op, report):
    with _agent_ready(op, report, "Unquiescing", "unquiesce") as ctx:
        report(50, "Thawing the guest's filesystems")
        thawed = ctx.guest.thaw_filesystems()
        return {**done(ctx, report), "thawed": thawed, "message": f"Thawed {thawed} filesystem(s)"}


def _take_password(op) -> str:
    """The password from the operation's input, erased from the stored input first."""
    token = op.params.pop("password", "")
    Operation.objects.filter(pk=op.pk).update(params=op.params)
    try:
        password = decrypt(token)
    except UnreadableSecret:
        raise OperationFailed("The password cannot be decrypted (the key changed): enter it again.") from None
    if not password:
        raise OperationFailed("No password was given.")
    return password


@operation("instance.set_password", label="Set admin password")
def set_password(op, report):
    password = _take_password(op)
    user = op.params.get("user") or "root"
    with _agent_ready(op, report, f"Setting the password of {user}", "set-password") as ctx:
        report(50, f"Asking the guest agent to set the password of {user}")
        ctx.guest.set_user_password(user, password)
        return {**done(ctx, report), "user": user, "message": f"Password of {user} set"}
