"""The audit log: who did what to which object, when, from where, and how it ended. Never secrets."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    OPERATION = "operation", "Operation"
    OPERATION_CANCEL = "operation_cancel", "Operation cancelled"
    OPERATION_ABORT = "operation_abort", "Operation abort asked"
    CONSOLE_OPEN = "console_open", "Console opened"
    CONSOLE_CLOSE = "console_close", "Console closed"
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGOUT = "logout", "Logout"
    PASSWORD_CHANGE = "password_change", "Password change"
    HOST_REMOVE = "host_remove", "Host removed"
    GRANT_ADD = "grant_add", "Grant added"
    GRANT_REMOVE = "grant_remove", "Grant removed"
    ACCESS_DENIED = "access_denied", "Access denied"
    TOKEN_ADD = "token_add", "API token made"
    TOKEN_REVOKE = "token_revoke", "API token revoked"
    IMAGE_ADD = "image_add", "Image added"


class AuditOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"


class AuditEntry(models.Model):
    time = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, db_index=False,
        related_name="audit_entries",
    )  # fmt: skip
    username = models.CharField(
        max_length=150, blank=True, help_text="Kept when the user is deleted; for a failed login, the name tried."
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_name = models.CharField(max_length=255, blank=True, help_text="Kept when the object is deleted.")
    outcome = models.CharField(max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCEEDED)
    detail = models.TextField(blank=True)
    client_address = models.CharField(max_length=64, blank=True, help_text="The browser's address.")

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["-time", "-id"], name="audit_newest"),  # the audit page
            models.Index(fields=["user", "-time"], name="audit_user_time"),
            models.Index(fields=["action", "-time"], name="audit_action_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=[choice.value for choice in AuditAction]), name="audit_action_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=[choice.value for choice in AuditOutcome]), name="audit_outcome_valid"
            ),
        ]

    def __str__(self):
        who = self.username or "(nobody)"
        return f"{self.get_action_display()} {self.object_name} by {who} ({self.outcome})".replace("  ", " ")
