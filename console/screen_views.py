"""The graphical console pages (VNC through noVNC, SPICE through spice-html5). They only render:
the page asks the ticket view for a one-time proxy URL and connects from the browser."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from instances.access import get_instance_for_user

GRAPHICS_TEMPLATES = {"vnc": "console/vnc.html", "spice": "console/spice.html"}


@require_GET
@login_required
def screen(request, pk: int, kind: str):
    instance = get_instance_for_user(request, pk, "console")
    has_kind = any(g.get("type") == kind for g in (instance.details or {}).get("graphics", []))
    context = {"instance": instance, "kind": kind, "has_kind": has_kind}
    return render(request, GRAPHICS_TEMPLATES[kind], context)
