"""Chart data through the API: what the instance and host pages draw, from the same history."""

import time

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hosts.access import get_host_for_user
from instances.access import get_instance_for_user
from stats.history import RANGES
from stats.views import host_charts_data, instance_charts_data

RANGE = OpenApiParameter("range", str, enum=list(RANGES), description="1h: each sample; 24h: minutes; 30d: half hours.")


def _range(request) -> str:
    wanted = request.query_params.get("range", "1h")
    if wanted not in RANGES:
        raise serializers.ValidationError({"range": [f"Choose one of {', '.join(RANGES)}."]})
    return wanted


class InstanceCharts(APIView):
    @extend_schema(parameters=[RANGE], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        """The instance's rates (CPU % of its vCPUs, memory in use; per disk and NIC bytes and
        requests per second) over the range: `times` (epoch s) and per series `average` (and `maximum`)."""
        instance = get_instance_for_user(request, pk, "view")
        return Response(instance_charts_data(instance, _range(request), time.time()))


class HostCharts(APIView):
    @extend_schema(parameters=[RANGE], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        """The host's CPU % and memory in use, and its guests' totals, over the range."""
        host = get_host_for_user(request, pk, "view")
        return Response(host_charts_data(host, _range(request), time.time()))
