"""Console tickets for the browser: a permission check, then a single-use ticket for the proxy.
No libvirt call here: the proxy finds the guest's console when the browser connects."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse
from django.http.request import split_domain_port
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from console import tickets
from console.models import ConsoleKind
from instances.access import get_instance_for_user
from instances.models import InstanceState

KINDS = (ConsoleKind.VNC, ConsoleKind.SPICE)  # the graphical consoles the proxy serves


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
    """{"url": proxy websocket URL with a fresh ticket, "expires_in": seconds}, or 409 with
    {"error": ...} when the instance is not running."""
    if kind not in KINDS:
        raise Http404(f"No {kind} console.")
    instance = get_instance_for_user(request, pk, "console")
    if instance.state != InstanceState.RUNNING:
        state = instance.get_state_display().lower()
        return JsonResponse({"error": f"{instance.name} is {state}: start it to open its console."}, status=409)
    token = tickets.issue(user_id=request.user.pk, instance_id=instance.pk, kind=kind)
    url = f"{proxy_base_url(request)}{kind}?{urlencode({'token': token})}"
    return JsonResponse({"url": url, "expires_in": tickets.TICKET_TTL})
