"""An Operation is every change an admin asks for: a row first, then a job on the worker."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.timezone import localtime

from jobs.registry import HANDLERS, label_for


class OperationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"  # never ran
    ABORTED = "aborted", "Aborted"  # stopped while running, on request


ACTIVE = (OperationStatus.QUEUED, OperationStatus.RUNNING)
FINISHED = (OperationStatus.SUCCEEDED, OperationStatus.FAILED, OperationStatus.CANCELLED, OperationStatus.ABORTED)


class Operation(models.Model):
    kind = models.CharField(max_length=64, help_text="Registered operation name, e.g. host.check")
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    target_name = models.CharField(max_length=255)
    host = models.ForeignKey(
        "hosts.Host", null=True, blank=True, on_delete=models.SET_NULL, related_name="operations",
        help_text="The host the operation acts on (for filtering); empty for operations on no host.",
    )  # fmt: skip
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=16, choices=OperationStatus.choices, default=OperationStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True, help_text="Input of the operation; never shown.")
    result = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True, help_text="The worker running it (rq worker name).")
    via = models.CharField(max_length=120, blank=True, help_text="How it was asked for, when not from the pages.")
    heartbeat = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of its worker while it runs (the reaper reads it)."
    )
    stop_requested = models.DateTimeField(null=True, blank=True, help_text="When an abort was asked for.")
    stop_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-created"]),
            models.Index(fields=["status"]),
            models.Index(fields=["-created", "-id"], name="operation_newest"),  # the Operations page
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="operation_progress_max_100"),
            models.CheckConstraint(
                condition=models.Q(status__in=[choice.value for choice in OperationStatus]),
                name="operation_status_valid",
            ),
            # One active operation per instance, kept by the database (partial unique index).
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=models.Q(target_type="instance", status__in=[status.value for status in ACTIVE]),
                name="operation_one_active_per_instance",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.target_name} ({self.status})"

    @property
    def label(self) -> str:
        return label_for(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def stoppable(self) -> bool:
        """Running, of a kind that can be aborted, and not asked to stop yet."""
        handler = HANDLERS.get(self.kind)
        return (
            self.status == OperationStatus.RUNNING
            and handler is not None
            and handler.stoppable
            and self.stop_requested is None
        )

    def as_event(self) -> dict:
        """What pages receive over the live websocket."""
        return {
            "id": self.pk,
            "kind": self.kind,
            "label": self.label,
            "target": self.target_name,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "host_id": self.host_id,
            "user_id": self.user_id,
            "status": self.status,
            "status_label": self.get_status_display(),
            "finished": self.is_finished,
            "progress": self.progress,
            "message": self.message,
            "error": self.error,
            "stoppable": self.stoppable,
            "cancellable": self.status == OperationStatus.QUEUED,
            "url": self.result.get("url", ""),
            "link_text": self.result.get("link_text", ""),
            "detail_url": reverse("operation-detail", args=[self.pk]),
            "user": self.user.get_username() if self.user_id else "system",
            "created": localtime(self.created).strftime("%Y-%m-%d %H:%M:%S"),
        }
