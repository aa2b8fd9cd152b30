"""The disk operations as its page and the API offer them (see instances.device_operations)."""

from config.lookups import item_or_404
from instances import device_stats
from instances.device_operations import DeviceOperation
from instances.disks.forms import AttachDiskForm, GrowDiskForm, MediaForm, PoolVolumeForm
from instances.snapshots.forms import DiskSnapshotForm


def _finder(*devices: str):
    """Finds the disk at a target among the instance's disks of these device kinds, or a 404."""

    def find(instance, target: str) -> dict:
        rows, _nics, _at = device_stats.device_rows(instance)
        return item_or_404(rows, lambda disk: disk.get("target") == target and disk.get("device", "disk") in devices,
                           f"No such {' or '.join(devices)} {target} on {instance}.")  # fmt: skip

    return find


def _disk_snapshot(instance, target: str) -> dict:
    """The disk snapshot (an overlay taking the writes) on the disk at `target`, or a 404."""
    return item_or_404((instance.details or {}).get("disk_snapshots", []), lambda item: item.get("target") == target,
                       f"{instance} has no disk snapshot on {target}.")  # fmt: skip


DISK_OPERATIONS = {
    "attach-disk": DeviceOperation("instance.attach_volume",
                                   form=lambda data, instance, device: AttachDiskForm(data, instance=instance)),
    "detach-disk": DeviceOperation("instance.detach_volume", find=_finder("disk"), key="target"),
    "grow-disk": DeviceOperation("instance.grow_disk", find=_finder("disk"), key="target",
                                 form=lambda data, _instance, disk: GrowDiskForm(data, current=disk.get("capacity"))),
    "swap-disk": DeviceOperation("instance.swap_volume", find=_finder("disk"), key="target",
                                 form=lambda data, instance, device: PoolVolumeForm(data, instance=instance)),
    "change-media": DeviceOperation("instance.change_media", find=_finder("cdrom", "floppy"), key="target",
                                    form=lambda data, instance, device: MediaForm(data, instance=instance)),
    "snapshot-disk": DeviceOperation("instance.disk_snapshot", find=_finder("disk"), key="target",
                                     form=lambda data, instance, device: DiskSnapshotForm(data)),
    "commit-disk": DeviceOperation("instance.disk_commit", find=_disk_snapshot, key="target"),
}  # fmt: skip
