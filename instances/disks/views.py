"""Pages of the disk operations: a form (or a confirmation) on GET, the operation queued on POST."""

from django.contrib.auth.decorators import login_required
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_http_methods

from config.forms import posted
from instances.access import get_instance_for_user
from instances.disks.devices import DISK_OPERATIONS
from instances.operation_pages import operation_page


def _page(request, pk: int, name: str, target: str = "", **options):
    """operation_page of the disk operation `name` (DISK_OPERATIONS) about the disk at `target`."""
    instance = get_instance_for_user(request, pk, "change")
    operation = DISK_OPERATIONS[name]
    disk = operation.device(instance, target)
    form = operation.form_for(posted(request), instance, disk)
    names = {"instance": instance, "target": target, "source": (disk or {}).get("source") or "no source"}
    options = {**options, "title": options["title"].format(**names), "text": options.get("text", "").format(**names)}
    subject = ""
    if disk is not None:
        size = f", {filesizeformat(disk['capacity'])}" if disk.get("capacity") else ""
        subject = f"{target}: {disk.get('device')} on {disk.get('bus') or '—'}, {disk.get('source') or 'empty'}{size}."
    return operation_page(request, instance, form=form, kind=operation.kind, subject=subject,
                          params=operation.params(disk), **options)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_attach(request, pk: int):
    return _page(request, pk, "attach-disk", title="Attach a volume to {instance}", submit="Attach",
                 text="Attached to the running guest and to its definition.")  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_detach(request, pk: int, target: str):
    text = ("{target} ({source}) is removed from the guest and its definition; the volume itself is kept. "
            "A running guest must release it first (unmount it).")  # fmt: skip
    return _page(request, pk, "detach-disk", target, title="Detach {target} from {instance}?", submit="Detach",
                 text=text)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_grow(request, pk: int, target: str):
    text = "The guest sees the new size at once; grow its partition and filesystem inside the guest."
    return _page(request, pk, "grow-disk", target, title="Grow {target} of {instance}", submit="Grow", text=text)


@require_http_methods(["GET", "POST"])
@login_required
def disk_swap(request, pk: int, target: str):
    text = ("The running guest's {target} is copied onto the chosen volume (as large or larger) and switched "
            "to it without stopping; the old volume is kept.")  # fmt: skip
    return _page(request, pk, "swap-disk", target, title="Swap the volume of {target}", submit="Swap", text=text)


@require_http_methods(["GET", "POST"])
@login_required
def disk_media(request, pk: int, target: str):
    return _page(request, pk, "change-media", target, title="Medium in {target}", submit="Change medium")
