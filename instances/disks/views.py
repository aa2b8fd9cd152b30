"""Pages of the disk operations: a form (or a confirmation) on GET, the operation queued on POST."""

from django.contrib.auth.decorators import login_required
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_http_methods

from config.forms import posted
from config.lookups import item_or_404
from instances import device_stats
from instances.access import get_instance_for_user
from instances.disks.forms import AttachDiskForm, GrowDiskForm, MediaForm, PoolVolumeForm
from instances.operation_pages import operation_page


def _disk(instance, target: str, *, devices: tuple[str, ...]) -> dict:
    rows, _nics, _at = device_stats.device_rows(instance)
    return item_or_404(rows, lambda disk: disk.get("target") == target and disk.get("device", "disk") in devices,
                       f"No such {' or '.join(devices)} {target} on {instance}.")  # fmt: skip


def _page(request, instance, disk=None, **options):
    """operation_page about `disk` (its target added to the operation's params)."""
    if disk is None:
        return operation_page(request, instance, **options)
    size = f", {filesizeformat(disk['capacity'])}" if disk.get("capacity") else ""
    subject = (
        f"{disk['target']}: {disk.get('device')} on {disk.get('bus') or '—'}, {disk.get('source') or 'empty'}{size}."
    )
    return operation_page(request, instance, subject=subject, params={"target": disk["target"]}, **options)


@require_http_methods(["GET", "POST"])
@login_required
def disk_attach(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = AttachDiskForm(posted(request), instance=instance)
    return _page(request, instance, form=form, kind="instance.attach_volume", title=f"Attach a volume to {instance}",
                 submit="Attach", text="Attached to the running guest and to its definition.")  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_detach(request, pk: int, target: str):
    instance = get_instance_for_user(request, pk, "change")
    disk = _disk(instance, target, devices=("disk",))
    text = (f"{target} ({disk.get('source') or 'no source'}) is removed from the guest and its definition; "
            "the volume itself is kept. A running guest must release it first (unmount it).")  # fmt: skip
    return _page(request, instance, form=None, kind="instance.detach_volume", title=f"Detach {target} from {instance}?",
                 submit="Detach", text=text, disk=disk)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_grow(request, pk: int, target: str):
    instance = get_instance_for_user(request, pk, "change")
    disk = _disk(instance, target, devices=("disk",))
    form = GrowDiskForm(posted(request), current=disk.get("capacity"))
    return _page(request, instance, form=form, kind="instance.grow_disk", title=f"Grow {target} of {instance}",
                 submit="Grow", text="The guest sees the new size at once; grow its partition and filesystem "
                 "inside the guest.", disk=disk)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_swap(request, pk: int, target: str):
    instance = get_instance_for_user(request, pk, "change")
    disk = _disk(instance, target, devices=("disk",))
    form = PoolVolumeForm(posted(request), instance=instance)
    text = (f"The running guest's {target} is copied onto the chosen volume (as large or larger) and switched "
            "to it without stopping; the old volume is kept.")  # fmt: skip
    return _page(request, instance, form=form, kind="instance.swap_volume", title=f"Swap the volume of {target}",
                 submit="Swap", text=text, disk=disk)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_media(request, pk: int, target: str):
    instance = get_instance_for_user(request, pk, "change")
    disk = _disk(instance, target, devices=("cdrom", "floppy"))
    form = MediaForm(posted(request), instance=instance)
    return _page(request, instance, form=form, kind="instance.change_media", title=f"Medium in {target}",
                 submit="Change medium", disk=disk)  # fmt: skip
