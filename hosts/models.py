"""A hypervisor host reached through a libvirt URI."""

from django.db import models

from hosts.credentials import CredentialKind, credentials_for
from virt.uri import remote_host, transport_of


class HostStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    UP = "up", "Up"
    DOWN = "down", "Down"


class Transport(models.TextChoices):
    LOCAL = "local", "Local socket"
    SSH = "ssh", "SSH"
    TCP = "tcp", "TCP (unencrypted)"
    TLS = "tls", "TLS"
    TEST = "test", "libvirt test driver"
    LXC = "lxc", "LXC (local)"


class Host(models.Model):
    name = models.CharField(max_length=100, unique=True)
    uri = models.CharField("libvirt URI", max_length=500, unique=True)
    console_address = models.CharField(
        max_length=255, blank=True, help_text="Where the console proxy reaches VNC/SPICE; empty: the URI's host."
    )
    migration_address = models.CharField(
        max_length=255,
        blank=True,
        help_text="Where other hosts send a live migration's data to this one (an address of its migration "
        "network); empty: the URI's host.",
    )
    maintenance = models.BooleanField(
        default=False, editable=False, help_text="In maintenance: no new instance or migration lands here."
    )
    resume_guests = models.BooleanField(
        "start guests again when the host comes back",
        default=False,
        help_text="Guests that were running when the host went down are started when it is up again.",
    )
    credential_kind = models.CharField(max_length=16, choices=CredentialKind.choices, default=CredentialKind.NONE)
    username = models.CharField(max_length=100, blank=True)
    secret = models.TextField(blank=True, editable=False, help_text="Encrypted; never shown.")
    status = models.CharField(max_length=16, choices=HostStatus.choices, default=HostStatus.UNKNOWN)
    last_error = models.TextField(blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    hypervisor = models.CharField(max_length=100, blank=True, help_text="e.g. QEMU 7.2.22")
    libvirt_version = models.CharField(max_length=32, blank=True)
    cpus = models.PositiveIntegerField(null=True, blank=True)
    memory_mib = models.PositiveBigIntegerField(null=True, blank=True)
    capabilities = models.JSONField(default=dict, blank=True, editable=False)
    kvm_usable = models.BooleanField(null=True, editable=False, help_text="proven by a probe guest (unset: not probed)")
    kvm_note = models.CharField(max_length=500, blank=True, editable=False, help_text="why KVM is used or not")
    kvm_probed = models.DateTimeField(null=True, blank=True, editable=False)
    resources = models.JSONField(default=dict, blank=True, editable=False)
    inventory = models.JSONField(
        default=dict, blank=True, editable=False, help_text="Pools with volumes, networks, network filters."
    )
    facts_updated = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[choice.value for choice in HostStatus]), name="host_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(credential_kind__in=[choice.value for choice in CredentialKind]),
                name="host_credential_kind_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def offers_kvm(self) -> bool:
        """Whether libvirt advertises KVM for x86_64 guests here (which proves nothing: see KVM_PROBE_TIMEOUT)."""
        return any(guest["os_type"] == "hvm" and guest["arch"] == "x86_64" and "kvm" in guest["domain_types"]
                   for guest in self.capabilities.get("guest_types", []))  # fmt: skip

    @property
    def transport(self) -> str:
        return transport_of(self.uri)

    def get_transport_display(self) -> str:
        return Transport(self.transport).label if self.transport in Transport.values else self.transport

    @property
    def console_host(self) -> str:
        """The address consoles of this host's guests are reached at."""
        return self.console_address or remote_host(self.uri) or "127.0.0.1"

    @property
    def migration_uri(self) -> str:
        """Where a live migration's data is sent to reach this host (tcp://ADDRESS)."""
        address = self.migration_address or remote_host(self.uri) or "127.0.0.1"
        return f"tcp://[{address}]" if ":" in address else f"tcp://{address}"

    def credentials(self):
        """virt.Credentials for opening this host, decrypted only now."""
        return credentials_for(kind=self.credential_kind, username=self.username, secret_token=self.secret)


class MonitorMember(models.Model):
    """A running monitor process (hosts.ownership): counted as alive while it renews `renewed`."""

    name = models.CharField(max_length=200, unique=True, help_text="machine:pid:random, unique per process")
    started = models.DateTimeField(auto_now_add=True)
    renewed = models.DateTimeField(help_text="the database's clock at its last renewal")

    def __str__(self):
        return self.name


class HostLease(models.Model):
    """Which monitor watches a host. Only the holder of an unexpired lease writes what it sees of
    the host, and every such write re-checks holder and epoch (hosts.ownership.Ownership.fenced)."""

    host = models.OneToOneField(Host, on_delete=models.CASCADE, primary_key=True, related_name="lease")
    monitor = models.CharField(max_length=200, help_text="the holder's MonitorMember name")
    epoch = models.PositiveBigIntegerField(default=1, help_text="raised by every takeover")
    expires = models.DateTimeField(help_text="the database's clock; taken over only once past")

    def __str__(self):
        return f"{self.host_id} → {self.monitor} (epoch {self.epoch})"
