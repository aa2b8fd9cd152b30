"""A host's storage pools (with their volumes), networks and network filters through the API: read
from the host's inventory as the pages show them, and every operation of their pages queued with
the pages' own forms and refusals (hosts.resource_operations)."""

import inspect

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples
from api.errors import error_response
from api.instances import json_object, queued, valid
from api.serializers import OperationSerializer
from hosts.access import get_host_for_user
from instances.host_operations import GUEST_MOVING_OPERATIONS
from jobs.services import start_operation
from networks.host_operations import NETWORK_OPERATIONS, filters, networks
from storage.host_operations import STORAGE_OPERATIONS, pools

HOST_OPERATIONS = {**STORAGE_OPERATIONS, **NETWORK_OPERATIONS, **GUEST_MOVING_OPERATIONS}
ITEMS = serializers.ListField(child=serializers.DictField())


class StorageSerializer(serializers.Serializer):
    pools = ITEMS


class NetworksSerializer(serializers.Serializer):
    networks = ITEMS
    filters = ITEMS


class HostActionSerializer(serializers.Serializer):
    """What the operation concerns (`pool`, `volume`, or a network's or filter's `name`) and what
    its page's form takes (`params`)."""

    pool = serializers.CharField(required=False, default="", max_length=255)
    volume = serializers.CharField(required=False, default="", max_length=255)
    name = serializers.CharField(required=False, default="", max_length=255)
    params = serializers.DictField(required=False, default=dict)


class HostStorage(APIView):
    @extend_schema(responses=StorageSerializer)
    def get(self, request, pk: int):
        """The host's storage pools and their volumes (as last read)."""
        return Response({"pools": pools(get_host_for_user(request, pk, "view"))})


class HostNetworks(APIView):
    @extend_schema(responses=NetworksSerializer)
    def get(self, request, pk: int):
        """The host's networks and network filters (as last read)."""
        host = get_host_for_user(request, pk, "view")
        return Response({"networks": networks(host), "filters": filters(host)})


class HostAction(APIView):
    @extend_schema(
        examples=examples.HOST_ACTION,
        request=HostActionSerializer,
        responses={202: OperationSerializer},
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(HOST_OPERATIONS))],
    )
    def post(self, request, pk: int, name: str):
        """Queue an operation of the host's pages (pool-define, volume-create, network-start,
        filter-define, maintenance-start, evacuate…) as its page does; 202 with the operation. What
        the page knows would be refused (deleting a volume a guest still needs, evacuating a host
        that answers) is a 409."""
        operation = HOST_OPERATIONS.get(name)
        if operation is None:
            raise Http404(f"No host operation {name!r}.")
        host = get_host_for_user(request, pk, "change")
        body = HostActionSerializer(data=json_object(request))
        body.is_valid(raise_exception=True)
        wanted = list(inspect.signature(operation.find).parameters)[1:]  # after the host: pool, volume or name
        missing = [key for key in wanted if not body.validated_data[key]]
        if missing:
            raise serializers.ValidationError({key: [f"Say which {key} {name} concerns."] for key in missing})
        found = operation.find(host, **{key: body.validated_data[key] for key in wanted})
        refused = operation.refused(host, found)
        if refused:
            return error_response(status.HTTP_409_CONFLICT, refused)
        form = operation.form_for(body.validated_data["params"], host, found)
        params = operation.params(found, valid(form) if form is not None else None)
        return queued(start_operation(kind=operation.kind, target=host, user=request.user, params=params))
