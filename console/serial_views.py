"""The serial console page: xterm.js talking to console.consumers.SerialConsumer over a websocket."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from instances.access import get_instance_for_user


@require_GET
@login_required
def serial(request, pk: int):
    instance = get_instance_for_user(request, pk, "console")
    return render(request, "console/serial.html", {"instance": instance})
