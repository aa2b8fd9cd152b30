"""Operations through the API: the list, one, waiting for one to end (a long poll: the answer comes
when it ends or after `timeout` seconds), and stopping one (cancel or abort)."""

import time

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import visible_operations
from api.serializers import OperationSerializer
from config.lookups import positive_id
from config.views import stop_for
from jobs.models import FINISHED, Operation, OperationStatus

WAIT_MAX = 60  # seconds one wait request may last
WAIT_STEP = 0.2


def visible(request):
    if not request.user.has_perm("jobs.view_operation"):
        raise PermissionDenied("You may not view operations.")
    return visible_operations(request.user, Operation.objects.select_related("user"))


class OperationList(generics.ListAPIView):
    serializer_class = OperationSerializer

    @extend_schema(parameters=[
        OpenApiParameter("status", str, enum=OperationStatus.values),
        OpenApiParameter("host", int), OpenApiParameter("instance", int),
    ])  # fmt: skip
    def get(self, request, *args, **kwargs):
        """The operations you see, newest first."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query, operations = self.request.query_params, visible(self.request)
        if query.get("status") in OperationStatus.values:
            operations = operations.filter(status=query["status"])
        if host_id := positive_id(query.get("host")):
            operations = operations.filter(host_id=host_id)
        if instance_id := positive_id(query.get("instance")):
            operations = operations.filter(target_type="instance", target_id=str(instance_id))
        return operations.order_by("-created", "-id")


class OperationDetail(APIView):
    @extend_schema(responses=OperationSerializer)
    def get(self, request, pk: int):
        """One operation."""
        return Response(OperationSerializer(get_object_or_404(visible(request), pk=pk)).data)


class OperationWait(APIView):
    @extend_schema(responses=OperationSerializer, parameters=[
        OpenApiParameter("timeout", int, description=f"Seconds to wait at most (1-{WAIT_MAX}, default 30)."),
    ])  # fmt: skip
    def get(self, request, pk: int):
        """The operation once it has ended (succeeded, failed, cancelled, aborted), or as it is after
        `timeout` seconds: ask again while its status is queued or running."""
        op = get_object_or_404(visible(request), pk=pk)
        timeout = min(max(positive_id(request.query_params.get("timeout")) or 30, 1), WAIT_MAX)
        deadline = time.monotonic() + timeout
        while op.status not in FINISHED and time.monotonic() < deadline:
            time.sleep(WAIT_STEP)
            op.refresh_from_db()
        return Response(OperationSerializer(op).data)


class OperationStop(APIView):
    @extend_schema(request=None, responses=OperationSerializer)
    def post(self, request, pk: int):
        """Cancel a queued operation, or ask a running one (of a kind that can stop) to abort."""
        op = get_object_or_404(visible(request), pk=pk)
        stop_for(request, op)
        op.refresh_from_db()
        return Response(OperationSerializer(op).data)
