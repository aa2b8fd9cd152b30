"""A hypervisor host reached through a libvirt URI."""

from django.db import models


class HostStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    UP = "up", "Up"
    DOWN = "down", "Down"


class Host(models.Model):
    name = models.CharField(max_length=100, unique=True)
    uri = models.CharField("libvirt URI", max_length=500, unique=True)
    status = models.CharField(max_length=16, choices=HostStatus.choices, default=HostStatus.UNKNOWN)
    last_error = models.TextField(blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    hypervisor = models.CharField(max_length=100, blank=True, help_text="e.g. QEMU 7.2.22")
    libvirt_version = models.CharField(max_length=32, blank=True)
    cpus = models.PositiveIntegerField(null=True, blank=True)
    memory_mib = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[choice.value for choice in HostStatus]), name="host_status_valid"
            ),
        ]

    def __str__(self):
        return self.name
