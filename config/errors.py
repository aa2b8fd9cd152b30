"""What a page answers when something it needs is down: a database outage is a 503 saying so
(the request changed nothing), not a bare "Server Error (500)"; and a URL that leads nowhere."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

log = logging.getLogger(__name__)


def server_error(request):
    """Django's handler500, called while the exception is being handled."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        log.warning("the database does not answer: %s", error)
        page = render_to_string("database_down.html")  # no request: nothing here may need the database
        return HttpResponse(page, status=503, headers={"Retry-After": "10"})
    return defaults.server_error(request)


def not_found(request, exception):
    """Django's handler404: the API's one JSON error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"status": 404, "message": "No such URL in the API.", "fields": {}}}, status=404)
    return defaults.page_not_found(request, exception)
