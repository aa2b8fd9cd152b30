"""Pages of the disk operations: a form (or a confirmation) on GET, the operation queued on POST."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from instances import disk_stats
from instances.access import get_instance_for_user
from instances.services import Busy, request_operation
from instances.volume_forms import AttachVolumeForm, GrowForm, MediaForm, VolumeForm
from jobs.services import NoWorker


def _disk(instance, target: str, *, devices: tuple[str, ...]) -> dict:
    rows, _at = disk_stats.disk_rows(instance)
    for disk in rows:
        if disk.get("target") == target and disk.get("device", "disk") in devices:
            return disk
    raise Http404(f"No such {' or '.join(devices)} {target} on {instance}.")


def _data(request):
    """The submitted data on POST (an empty POST is still a submission: its errors are shown)."""
    return request.POST if request.method == "POST" else None


def _page(request, instance, *, form, kind: str, title: str, submit: str, text: str = "", disk=None):
    """Render the form; on a valid POST queue `kind` with the form's params (plus the disk's target)."""
    if request.method == "POST" and (form is None or form.is_valid()):
        params = {**(form.params() if form else {}), **({"target": disk["target"]} if disk else {})}
        try:
            op = request_operation(instance=instance, kind=kind, user=request.user, params=params)
        except (Busy, NoWorker) as error:
            messages.error(request, str(error))
            return redirect("instance-detail", pk=instance.pk)
        return redirect("operation-detail", pk=op.pk)
    context = {"instance": instance, "form": form, "title": title, "submit": submit, "text": text, "disk": disk}
    return render(request, "instances/disk_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def disk_attach(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = AttachVolumeForm(_data(request), instance=instance)
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
    form = GrowForm(_data(request), current=disk.get("capacity"))
    return _page(request, instance, form=form, kind="instance.grow_disk", title=f"Grow {target} of {instance}",
                 submit="Grow", text="The guest sees the new size at once; grow its partition and filesystem "
                 "inside the guest.", disk=disk)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_swap(request, pk: int, target: str):
    instance = get_instance_for_user(request, pk, "change")
    disk = _disk(instance, target, devices=("disk",))
    form = VolumeForm(_data(request), instance=instance)
    text = (f"The running guest's {target} is copied onto the chosen volume (as large or larger) and switched "
            "to it without stopping; the old volume is kept.")  # fmt: skip
    return _page(request, instance, form=form, kind="instance.swap_volume", title=f"Swap the volume of {target}",
                 submit="Swap", text=text, disk=disk)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_media(request, pk: int, target: str):
    instance = get_instance_for_user(request, pk, "change")
    disk = _disk(instance, target, devices=("cdrom", "floppy"))
    form = MediaForm(_data(request), instance=instance)
    return _page(request, instance, form=form, kind="instance.change_media", title=f"Medium in {target}",
                 submit="Change medium", disk=disk)  # fmt: skip
