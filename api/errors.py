"""Every API error in one JSON shape — {"error": {"status", "message", "fields"}} — with the
message the pages would show (the access rule's, the form's, the job service's)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from jobs.services import Busy, NotStoppable, NoWorker


def error_response(code: int, message: str, fields: dict | None = None, headers=None) -> Response:
    return Response({"error": {"status": code, "message": message, "fields": fields or {}}}, status=code,
                    headers=headers)  # fmt: skip


def handle(exc, context):
    """DRF's exception handler, in our shape."""
    if isinstance(exc, Http404):
        return error_response(status.HTTP_404_NOT_FOUND, str(exc) or "Not found.")
    if isinstance(exc, PermissionDenied):
        return error_response(status.HTTP_403_FORBIDDEN, str(exc) or "You may not do this.")
    if isinstance(exc, (Busy, NotStoppable)):
        return error_response(status.HTTP_409_CONFLICT, str(exc))
    if isinstance(exc, NoWorker):
        return error_response(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 (logged)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: [str(item) for item in (items if isinstance(items, list) else [items])]
                  for name, items in detail.items()}  # fmt: skip
        message = " ".join(
            " ".join(items) if name in ("__all__", "non_field_errors") else f"{name}: {' '.join(items)}"
            for name, items in fields.items()
        )
        return error_response(response.status_code, message, fields)
    message = str(exc.detail) if isinstance(exc, exceptions.APIException) else str(exc)
    headers = {key: value for key, value in response.items() if key in ("WWW-Authenticate", "Retry-After")}
    return error_response(response.status_code, message, headers=headers)
