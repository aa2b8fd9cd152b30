"""Instances (libvirt domains) as the inventory last saw them, and what they are made from:
flavors (size) and images (disk, or kernel + initrd), cached per host."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from hosts.models import Host


class InstanceState(models.TextChoices):
    BUILDING = "building", "Building"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    SHUTDOWN = "shutdown", "Shutting down"
    SHUTOFF = "shutoff", "Shut off"
    CRASHED = "crashed", "Crashed"
    SUSPENDED = "suspended", "Suspended"
    UNKNOWN = "unknown", "Unknown"
    ERROR = "error", "Error"  # building or removing it failed half-way: what is left is in details["left"]
    MIGRATING = "migrating", "Migrating"  # moving to another host: the migration job (or the reaper) ends it


# States the console itself sets and the monitor keeps, whatever the host reports: the spawn job
# (or the reaper) ends BUILDING, a Delete that goes through ends ERROR, the migration ends MIGRATING.
HELD_STATES = frozenset({InstanceState.BUILDING, InstanceState.ERROR, InstanceState.MIGRATING})


class GraphicsType(models.TextChoices):
    VNC = "vnc", "VNC"
    SPICE = "spice", "SPICE"
    NONE = "none", "None"


class DiskFormat(models.TextChoices):
    QCOW2 = "qcow2", "qcow2"
    RAW = "raw", "raw"


class Flavor(models.Model):
    name = models.CharField(max_length=100, unique=True)
    vcpus = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(256)])
    memory_mib = models.PositiveIntegerField(
        "memory (MiB)", validators=[MinValueValidator(16), MaxValueValidator(4 * 1024 * 1024)]
    )
    disk_gib = models.PositiveIntegerField(
        "root disk (GiB)", default=1, validators=[MaxValueValidator(64 * 1024)],
        help_text="Size of the instance's root disk; at least the image's own size.",
    )  # fmt: skip
    graphics = models.CharField(max_length=8, choices=GraphicsType.choices, default=GraphicsType.VNC)
    extra_specs = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"hw:disk_bus": "sata", "hw:acpi": "false"}'
    )

    class Meta:
        ordering = ["vcpus", "memory_mib", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(vcpus__gte=1), name="flavor_vcpus_min_1"),
            models.CheckConstraint(
                condition=models.Q(graphics__in=[choice.value for choice in GraphicsType]), name="flavor_graphics_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.vcpus} vCPU, {self.memory_mib} MiB, {self.disk_gib} GiB)"


class Image(models.Model):
    """A boot image: a disk file (the base of every instance disk made from it), optionally with a
    kernel and initrd to boot directly. Files live on the console's machine (MEDIA_ROOT) and are
    copied into each host's image pool (the image cache) the first time an instance needs them."""

    name = models.CharField(max_length=100, unique=True)
    disk = models.FileField(upload_to="images/", blank=True)
    disk_format = models.CharField(max_length=8, choices=DiskFormat.choices, default=DiskFormat.QCOW2)
    kernel = models.FileField(upload_to="images/", blank=True)
    initrd = models.FileField(upload_to="images/", blank=True)
    cmdline = models.CharField("kernel command line", max_length=500, blank=True)
    checksums = models.JSONField(default=dict, blank=True, editable=False, help_text="sha256 per file role")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disk_format__in=[choice.value for choice in DiskFormat]),
                name="image_disk_format_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def files(self) -> dict:
        """{role: FieldFile} of the files this image has."""
        return {role: getattr(self, role) for role in ("disk", "kernel", "initrd") if getattr(self, role)}


class CachedImage(models.Model):
    """One image file copied into a host's image pool, and when an instance last used it."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="cached_images")
    volume = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64)
    last_used = models.DateTimeField()

    class Meta:
        ordering = ["host", "volume"]
        constraints = [models.UniqueConstraint(fields=["host", "volume"], name="cached_image_unique_volume")]

    def __str__(self):
        return f"{self.volume} on {self.host}"


class Instance(models.Model):
    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="instances")
    uuid = models.UUIDField()
    name = models.CharField(max_length=255)
    state = models.CharField(max_length=16, choices=InstanceState.choices, default=InstanceState.UNKNOWN)
    vcpus = models.PositiveIntegerField(null=True, blank=True)
    memory_mib = models.PositiveIntegerField(null=True, blank=True)
    autostart = models.BooleanField(default=False)
    persistent = models.BooleanField(default=True)
    flavor = models.ForeignKey(Flavor, null=True, blank=True, on_delete=models.SET_NULL, related_name="instances")
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="instances")
    details = models.JSONField(
        default=dict, blank=True, editable=False, help_text="Disks, NICs and graphics from the domain XML."
    )
    rescue_definition = models.TextField(
        blank=True, editable=False, help_text="While rescued: the original domain XML, restored by unrescue."
    )
    pending_resize = models.JSONField(
        default=dict, blank=True, editable=False,
        help_text="While a resize waits for Confirm or Revert: where it came from and how to put it back.",
    )  # fmt: skip
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        permissions = [("console_instance", "Can open the consoles of instances")]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["name"])]
        constraints = [
            models.UniqueConstraint(fields=["host", "uuid"], name="instance_unique_uuid_per_host"),
            models.CheckConstraint(
                condition=models.Q(state__in=[choice.value for choice in InstanceState]), name="instance_state_valid"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def rescued(self) -> bool:
        return bool(self.rescue_definition)

    @property
    def resizing(self) -> bool:
        """A resize or cold migration waits for Confirm or Revert."""
        return bool(self.pending_resize)

    def as_event(self) -> dict:
        """What open pages receive when the instance changes."""
        return {
            "id": self.pk,
            "host_id": self.host_id,
            "name": self.name,
            "state": self.state,
            "state_label": self.get_state_display(),
        }


class Evacuation(models.Model):
    """A guest rebuilt on another host while its own was down: the domain it left on that host is
    stale. When the host answers again the monitor has it removed (never started, never adopted)."""

    source = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="evacuations")
    uuid = models.UUIDField()
    name = models.CharField(max_length=255)
    from_image = models.BooleanField(help_text="Rebuilt from its image: its old disks on the source go too.")
    created = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return f"{self.name} evacuated from {self.source}"
