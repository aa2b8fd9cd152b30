"""Logins, failed logins and logouts go to the audit log (Django's auth signals), and so do
finished operations and the ones refused when they started (jobs.signals)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditAction, AuditOutcome
from audit.services import record, record_operation
from jobs.signals import operation_finished, operation_refused


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender, request, user, **kwargs):
    record(action=AuditAction.LOGIN, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    """Only the name tried (Django masks the password in `credentials`; it is never read here)."""
    tried = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")
    record(
        action=AuditAction.LOGIN_FAILED,
        username=tried[:150],
        outcome=AuditOutcome.FAILED,
        detail="wrong username or password",
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(action=AuditAction.LOGOUT, user=user, request=request)


@receiver(operation_refused, dispatch_uid="audit-operation-refused")
def _operation_refused(sender, operation, reason: str, **kwargs):
    record(
        action=AuditAction.ACCESS_DENIED,
        user=operation.user,
        object_type=operation.target_type,
        object_id=operation.target_id,
        object_name=operation.target_name,
        outcome=AuditOutcome.REFUSED,
        detail=f"{operation.kind}: {reason} (job)",
    )


@receiver(operation_finished, dispatch_uid="audit-operation")
def _operation_finished(sender, operation_id: int, **kwargs):
    """User, target, kind, outcome and message or error of the operation; never its params."""
    record_operation(operation_id)
