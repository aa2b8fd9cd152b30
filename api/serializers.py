"""What the API shows of hosts, instances and operations (never a secret, an operation's input or
a guest's kept definition)."""

from django.urls import reverse
from rest_framework import serializers

from audit.models import AuditEntry
from hosts.models import Host
from instances.models import Flavor, Image, Instance
from jobs.models import Operation, OperationStatus


class HostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Host
        fields = ["id", "name", "uri", "status", "last_error", "maintenance", "cpus", "memory_mib", "hypervisor",
                  "libvirt_version", "last_seen"]  # fmt: skip


class HostInputSerializer(serializers.Serializer):
    """A host as the add and edit pages take it."""

    name = serializers.CharField()
    uri = serializers.CharField(help_text="e.g. qemu:///system, qemu+ssh://root@host/system, qemu+tls://host/system")
    console_address = serializers.CharField(required=False)
    migration_address = serializers.CharField(required=False)
    resume_guests = serializers.BooleanField(required=False)
    credential_kind = serializers.CharField(required=False)
    username = serializers.CharField(required=False)
    secret = serializers.CharField(required=False, write_only=True, help_text="Password or SSH private key.")


class InstanceSerializer(serializers.ModelSerializer):
    host_name = serializers.CharField(source="host.name", read_only=True)
    flavor = serializers.CharField(source="flavor.name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Instance
        fields = ["id", "uuid", "name", "host", "host_name", "state", "vcpus", "memory_mib", "flavor", "autostart",
                  "persistent", "created"]  # fmt: skip


class InstanceDetailSerializer(InstanceSerializer):
    image = serializers.CharField(source="image.name", default=None, allow_null=True, read_only=True)
    devices = serializers.SerializerMethodField()
    resizing = serializers.BooleanField(read_only=True)
    rescued = serializers.BooleanField(read_only=True)

    class Meta(InstanceSerializer.Meta):
        fields = [*InstanceSerializer.Meta.fields, "image", "devices", "resizing", "rescued"]

    def get_devices(self, instance: Instance) -> dict:
        details = instance.details or {}
        return {key: details.get(key, []) for key in ("disks", "interfaces", "graphics")}


class OperationSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    user = serializers.CharField(source="user.username", default=None, allow_null=True, read_only=True)
    url = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = ["id", "kind", "label", "status", "progress", "message", "error", "target_type", "target_id",
                  "target_name", "host", "user", "created", "started", "finished", "lines", "url", "file"]  # fmt: skip

    def get_url(self, op: Operation) -> str:
        return reverse("api-operation-detail", args=[op.pk])

    def get_file(self, op: Operation) -> str | None:
        """Where the file a succeeded volume download or console-log fetch read is fetched."""
        from api.transfers import FETCHED_FILES  # the views it names import this module

        if op.kind in FETCHED_FILES and op.status == OperationStatus.SUCCEEDED:
            return reverse("api-operation-file", args=[op.pk])
        return None

    def get_lines(self, op: Operation) -> dict:
        """A drain's or an evacuation's line per guest."""
        return (op.result or {}).get("lines", {})


class ActionSerializer(serializers.Serializer):
    """An action's input, as its page's form takes it (e.g. a rebuild's image)."""

    params = serializers.DictField(required=False, default=dict)


class DeviceActionSerializer(ActionSerializer):
    """A device operation's input: the device (a disk's target, a NIC's MAC; none to attach one) and
    what its page's form takes."""

    device = serializers.CharField(required=False, default="", max_length=64)


class ConsoleTicketInputSerializer(serializers.Serializer):
    channels = serializers.IntegerField(required=False, default=1, help_text="Tickets wanted (SPICE: one per channel).")


class ConsoleTicketSerializer(serializers.Serializer):
    """Single-use tickets for the console proxy: open `url` (a websocket) within `expires_in` seconds
    with the same `Authorization: Bearer` header; the guest's console then asks for `password`."""

    url = serializers.CharField()
    urls = serializers.ListField(child=serializers.CharField())
    password = serializers.CharField()
    expires_in = serializers.IntegerField()


class CreateSerializer(serializers.Serializer):
    """A new instance, as the create page takes it."""

    host = serializers.IntegerField()
    name = serializers.CharField()
    flavor = serializers.IntegerField()
    image = serializers.IntegerField()
    networks = serializers.ListField(child=serializers.CharField(), required=False)
    admin_password = serializers.CharField(required=False, write_only=True)
    ssh_keys = serializers.CharField(required=False, help_text="OpenSSH public keys, one per line.")
    file_path = serializers.CharField(required=False)
    file_content = serializers.CharField(required=False)
    start = serializers.BooleanField(required=False, default=True)


class SnapshotSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField(required=False)


class FlavorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Flavor
        fields = ["id", "name", "vcpus", "memory_mib", "disk_gib", "graphics", "extra_specs"]


class ImageSerializer(serializers.ModelSerializer):
    boots = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = ["id", "name", "disk_format", "boots", "cmdline", "created"]

    def get_boots(self, image: Image) -> str:
        """ "disk" (from its disk) or "kernel" (a kernel and initrd)."""
        return "kernel" if image.kernel else "disk"


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "time", "username", "action", "object_type", "object_id", "object_name", "outcome", "detail",
                  "client_address"]  # fmt: skip
