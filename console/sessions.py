"""Recording console sessions (the audit): opened when a console connects, closed when it ends."""

from django.utils import timezone

from audit.models import AuditAction
from audit.services import record
from console.models import ConsoleSession
from instances.models import Instance


def open_session(*, user_id: int, instance: Instance, kind: str, client: str = "") -> int:
    session = ConsoleSession.objects.create(
        user_id=user_id, instance=instance, instance_name=instance.name, kind=kind, client=client[:64]
    )
    record(action=AuditAction.CONSOLE_OPEN, user=session.user, obj=instance, object_name=instance.name,
           detail=f"{session.get_kind_display()} console (session #{session.pk})", client=client)  # fmt: skip
    return session.pk


def close_session(session_id: int, *, reason: str = "") -> None:
    """Idempotent: only the first close is recorded."""
    closed = ConsoleSession.objects.filter(pk=session_id, ended__isnull=True).update(
        ended=timezone.now(), end_reason=reason[:255]
    )
    if closed:
        session = ConsoleSession.objects.select_related("user").get(pk=session_id)
        record(
            action=AuditAction.CONSOLE_CLOSE,
            user=session.user,
            object_type="instance",
            object_id="" if session.instance_id is None else str(session.instance_id),
            object_name=session.instance_name,
            detail=f"{session.get_kind_display()} console (session #{session.pk}) after "
            f"{round(session.duration.total_seconds())} s: {session.end_reason or 'ended'}",
            client=session.client,
        )
