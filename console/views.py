"""Console pages: the graphical consoles (VNC through noVNC, SPICE through spice-html5) and the
ticket their page asks for, the serial console (xterm.js talking to consumers.SerialConsumer),
and the console log. No libvirt call here: the proxy finds the guest's console when the browser
connects, and the console log is fetched by an operation (operations.py)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from console import tickets
from console.models import ConsoleKind
from instances.access import get_instance_for_user
from instances.models import InstanceState
from instances.services import Busy, request_operation
from jobs.models import Operation, OperationStatus
from jobs.services import NoWorker
from storage import transfers

KINDS = (ConsoleKind.VNC, ConsoleKind.SPICE)  # the graphical consoles the proxy serves
GRAPHICS_TEMPLATES = {"vnc": "console/vnc.html", "spice": "console/spice.html"}
MAX_CHANNELS = 8  # tickets one request may ask for
SHOWN_BYTES = 64 * 1024  # the log page shows this much of the end; the download has all that was fetched


# --- graphical consoles ---------------------------------------------------------------------------


@require_GET
@login_required
def screen(request, pk: int, kind: str):
    instance = get_instance_for_user(request, pk, "console")
    has_kind = any(g.get("type") == kind for g in (instance.details or {}).get("graphics", []))
    context = {"instance": instance, "kind": kind, "has_kind": has_kind}
    return render(request, GRAPHICS_TEMPLATES[kind], context)


def proxy_base_url(request: HttpRequest) -> str:
    """Where the browser reaches the console proxy: CONSOLE_PROXY_URL, else this page's host name
    on CONSOLE_PROXY_PORT (so the session cookie goes along)."""
    if settings.CONSOLE_PROXY_URL:
        return settings.CONSOLE_PROXY_URL.rstrip("/") + "/"
    name, _ = split_domain_port(request.get_host())
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{name}:{settings.CONSOLE_PROXY_PORT}/"


@login_required
@require_POST
@never_cache
def console_ticket(request: HttpRequest, pk: int, kind: str) -> JsonResponse:
    """{"url": proxy websocket URL with a fresh ticket, "urls": that and more when the page asks
    for `channels` (SPICE: one per channel), "password": what the page answers the guest's console
    with, "expires_in": seconds}, or 409 with {"error": ...} when the instance is not running."""
    if kind not in KINDS:
        raise Http404(f"No {kind} console.")
    instance = get_instance_for_user(request, pk, "console")
    channels = request.POST.get("channels", "1")
    refusal = ticket_refusal(instance, channels)
    if refusal:
        return JsonResponse({"error": refusal[1]}, status=refusal[0])
    return JsonResponse(console_tickets(request, instance, kind, int(channels)))


def ticket_refusal(instance, channels: str) -> tuple[int, str] | None:
    """(HTTP status, why) when no console ticket is given: the guest not running, a bad channel count."""
    if instance.state != InstanceState.RUNNING:
        state = instance.get_state_display().lower()
        return 409, f"{instance.name} is {state}: start it to open its console."
    if not channels.isdigit() or not 1 <= int(channels) <= MAX_CHANNELS:
        return 400, f"channels must be a number from 1 to {MAX_CHANNELS}."
    return None


def console_tickets(request, instance, kind: str, channels: int, *, token_id: int | None = None) -> dict:
    """{"url", "urls" (one per channel), "password", "expires_in"}: fresh single-use tickets of the
    request's user for the instance's console (bound to the API token `token_id` when given)."""
    nonce = tickets.new_nonce()
    urls = [
        f"{proxy_base_url(request)}{kind}?"
        + urlencode(
            {
                "token": tickets.issue(
                    user_id=request.user.pk, instance_id=instance.pk, kind=kind, nonce=nonce, token_id=token_id
                )
            }
        )  # fmt: skip
        for _ in range(channels)
    ]
    password = tickets.graphics_password(nonce)
    return {"url": urls[0], "urls": urls, "password": password, "expires_in": tickets.TICKET_TTL}


# --- serial console --------------------------------------------------------------------------------


@require_GET
@login_required
def serial(request, pk: int):
    instance = get_instance_for_user(request, pk, "console")
    return render(request, "console/serial.html", {"instance": instance})


# --- console log -----------------------------------------------------------------------------------


def _fetches(instance, user):
    return Operation.objects.filter(
        kind="instance.console_log", target_type="instance", target_id=str(instance.pk), user=user
    )


def _text(op: Operation | None) -> tuple[str, bool]:
    """(the end of the fetched log, whether the file is still there)."""
    if op is None:
        return "", False
    try:
        with transfers.open_file(op.result.get("file", "")) as file:
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
    return fetched_console_log(request, pk, op_pk)


def fetched_console_log(request, pk: int, op_pk: int) -> FileResponse:
    """The console log a finished fetch of this user read (for the page and the API)."""
    instance = get_instance_for_user(request, pk, "console")
    op = get_object_or_404(_fetches(instance, request.user), pk=op_pk, status=OperationStatus.SUCCEEDED)
    try:
        file = transfers.open_file(op.result.get("file", ""))  # FileResponse closes it
    except (ValueError, FileNotFoundError):
        raise Http404("This console log has expired: fetch it again.") from None
    return FileResponse(file, as_attachment=True, filename=f"{instance.name}-console.log")
