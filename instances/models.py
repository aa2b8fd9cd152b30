"""An instance (libvirt domain) on a host, as the inventory last saw it."""

from django.db import models

from hosts.models import Host


class InstanceState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    SHUTOFF = "shutoff", "Shut off"
    CRASHED = "crashed", "Crashed"
    SUSPENDED = "suspended", "Suspended"
    UNKNOWN = "unknown", "Unknown"


class Instance(models.Model):
    host = models.ForeignKey(Host, on_delete=models.PROTECT, related_name="instances")
    uuid = models.UUIDField()
    name = models.CharField(max_length=255)
    state = models.CharField(max_length=16, choices=InstanceState.choices, default=InstanceState.UNKNOWN)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["host", "uuid"], name="instance_unique_uuid_per_host"),
            models.CheckConstraint(
                condition=models.Q(state__in=[choice.value for choice in InstanceState]), name="instance_state_valid"
            ),
        ]

    def __str__(self):
        return self.name
