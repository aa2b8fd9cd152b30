"""Writing the audit log. `record` never raises: a failed audit write is logged, never breaks the action.

Callers pass facts, never secrets: no passwords, tokens, credentials or operation parameters.
"""

import logging

from django.db import transaction

from audit.models import AuditAction, AuditEntry, AuditOutcome

log = logging.getLogger(__name__)

DETAIL_MAX = 2000


def client_address(request) -> str:
    """The browser's address as the server saw it. Behind a reverse proxy, uvicorn puts the client
    from X-Forwarded-For here when the proxy is trusted (its FORWARDED_ALLOW_IPS)."""
    meta = getattr(request, "META", None) or {}
    return str(meta.get("REMOTE_ADDR") or "")[:64]


def record(
    *,
    action: str,
    user=None,
    username: str = "",
    obj=None,
    object_type: str = "",
    object_id: str = "",
    object_name: str = "",
    outcome: str = AuditOutcome.SUCCEEDED,
    detail: str = "",
    request=None,
    client: str = "",
) -> AuditEntry | None:
    """One audit entry. `user` defaults to the request's user, the object fields to `obj`'s type, pk and
    name, the client address to the request's. Returns the entry, or None when it could not be written."""
    try:
        if user is None and request is not None and not username:
            user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
        if user is not None and not username:
            username = user.get_username()
        token = getattr(user, "api_token", None)  # set for a request signed with an API token
        if token is not None:
            detail = f"{detail} (via API token {token.name!r})".lstrip()
        if obj is not None:
            object_type = object_type or obj._meta.model_name
            object_id = object_id or ("" if obj.pk is None else str(obj.pk))
            object_name = object_name or str(getattr(obj, "name", "") or obj)
        if request is not None and not client:
            client = client_address(request)
        with transaction.atomic():  # a savepoint: a failed write never spoils the caller's transaction
            return AuditEntry.objects.create(
                user=user,
                username=str(username)[:150],
                action=action,
                object_type=str(object_type)[:32],
                object_id=str(object_id)[:64],
                object_name=str(object_name)[:255],
                outcome=outcome,
                detail=str(detail)[:DETAIL_MAX],
                client_address=str(client)[:64],
            )
    except Exception:
        log.warning("could not record the audit entry %s (%s)", action, outcome, exc_info=True)
        return None


def record_denied(request, what: str, *, obj=None) -> AuditEntry | None:
    """A refusal: the request's user tried `what` (e.g. "change host lab") and was not allowed."""
    return record(
        action=AuditAction.ACCESS_DENIED,
        obj=obj,
        outcome=AuditOutcome.REFUSED,
        detail=f"{what} ({getattr(request, 'method', 'websocket')} {getattr(request, 'path', '')})".replace(" )", ")"),
        request=request,
    )


def record_operation(op_id: int) -> AuditEntry | None:
    """A finished operation: its user, target, kind and outcome; its message or error, never its params."""
    from jobs.models import Operation, OperationStatus

    try:
        op = Operation.objects.select_related("user").get(pk=op_id)
    except Exception:
        log.warning("could not read operation %s for the audit log", op_id, exc_info=True)
        return None
    succeeded = op.status == OperationStatus.SUCCEEDED
    if succeeded:
        said = op.message
    elif op.status in (OperationStatus.CANCELLED, OperationStatus.ABORTED):
        said = f"{op.message}. {op.error}"  # who stopped it, and what it left
    else:
        said = op.error or op.message
    via = f", via {op.via}" if op.via else ""
    return record(
        action=AuditAction.OPERATION,
        user=op.user,
        object_type=op.target_type,
        object_id=op.target_id,
        object_name=op.target_name,
        outcome=AuditOutcome.SUCCEEDED if succeeded else AuditOutcome.FAILED,
        detail=f"{op.label} (operation #{op.pk}, {op.get_status_display().lower()}{via}): {said}",
    )
