"""Logins, failed logins and logouts go to the audit log (Django's auth signals)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditAction, AuditOutcome
from audit.services import record


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
