"""Recording console sessions (the audit): opened when a console connects, closed when it ends."""

from django.utils import timezone

from console.models import ConsoleSession
from instances.models import Instance


def open_session(*, user_id: int, instance: Instance, kind: str, client: str = "") -> int:
    session = ConsoleSession.objects.create(
        user_id=user_id, instance=instance, instance_name=instance.name, kind=kind, client=client[:64]
    )
    return session.pk


def close_session(session_id: int, *, reason: str = "") -> None:
    """Idempotent: only the first close is recorded."""
    ConsoleSession.objects.filter(pk=session_id, ended__isnull=True).update(
        ended=timezone.now(), end_reason=reason[:255]
    )
