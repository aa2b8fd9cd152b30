"""Console sessions, kept for the audit: who opened which console of which instance, and for how long."""

from django.conf import settings
from django.db import models


class ConsoleKind(models.TextChoices):
    VNC = "vnc", "VNC"
    SPICE = "spice", "SPICE"
    SERIAL = "serial", "Serial"


class ConsoleSession(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    instance = models.ForeignKey("instances.Instance", null=True, on_delete=models.SET_NULL)
    instance_name = models.CharField(max_length=255, help_text="Kept when the instance is deleted.")
    kind = models.CharField(max_length=8, choices=ConsoleKind.choices)
    client = models.CharField(max_length=64, blank=True, help_text="The browser's address.")
    started = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-started", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[choice.value for choice in ConsoleKind]), name="console_session_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} console of {self.instance_name} ({self.user})"

    @property
    def duration(self):
        return (self.ended - self.started) if self.ended else None
