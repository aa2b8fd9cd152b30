"""The console log page: the tail of the serial log as last fetched by this user, a button to
fetch it again (an operation: the log is on the host), and a download of what was fetched."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from instances.access import get_instance_for_user
from instances.services import Busy, request_operation
from jobs.models import Operation, OperationStatus
from jobs.services import NoWorker
from storage import transfers

SHOWN_BYTES = 64 * 1024  # the page shows this much of the end; the download has all that was fetched


def _fetches(instance, user):
    return Operation.objects.filter(
        kind="instance.console_log", target_type="instance", target_id=str(instance.pk), user=user
    )


def _text(op: Operation | None) -> tuple[str, bool]:
    """(the end of the fetched log, whether the file is still there)."""
    if op is None:
        return "", False
    try:
        with open(transfers.path_for(op.result.get("file", "")), "rb") as file:
            file.seek(max(0, op.result.get("bytes", 0) - SHOWN_BYTES))
            return file.read().decode("utf-8", errors="replace"), True
    except (ValueError, FileNotFoundError):
        return "", False


@require_GET
@login_required
def console_log(request, pk: int):
    instance = get_instance_for_user(request, pk, "console")
    fetches = _fetches(instance, request.user)
    latest = fetches.filter(status=OperationStatus.SUCCEEDED).order_by("-finished").first()
    pending = fetches.filter(status__in=[OperationStatus.QUEUED, OperationStatus.RUNNING]).first()
    text, available = _text(latest)
    context = {"instance": instance, "latest": latest, "pending": pending, "text": text, "available": available}
    return render(request, "console/log.html", context)


@require_POST
@login_required
def console_log_fetch(request, pk: int):
    instance = get_instance_for_user(request, pk, "console")
    try:
        request_operation(instance=instance, kind="instance.console_log", user=request.user)
    except (Busy, NoWorker) as error:
        messages.error(request, str(error))
    return redirect("console-log", pk=pk)


@require_GET
@login_required
def console_log_download(request, pk: int, op_pk: int):
    instance = get_instance_for_user(request, pk, "console")
    op = get_object_or_404(_fetches(instance, request.user), pk=op_pk, status=OperationStatus.SUCCEEDED)
    try:
        file = open(transfers.path_for(op.result.get("file", "")), "rb")  # FileResponse closes it
    except (ValueError, FileNotFoundError):
        raise Http404("This console log has expired: fetch it again.") from None
    return FileResponse(file, as_attachment=True, filename=f"{instance.name}-console.log")
