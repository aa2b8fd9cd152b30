"""Hosts through the API: the list the user sees and one host (the pages' access rule)."""

from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import visible_hosts
from api import examples
from api.instances import json_object, queued, valid
from api.permissions import refuse_host_limited
from api.serializers import HostInputSerializer, HostSerializer, OperationSerializer
from hosts.access import get_host_for_user
from hosts.forms import HostForm
from hosts.models import Host
from hosts.views import remove_host
from jobs.services import start_operation


class HostList(generics.ListAPIView):
    """The hosts you see, by name."""

    serializer_class = HostSerializer

    @extend_schema(examples=examples.HOST, request=HostInputSerializer, responses={202: OperationSerializer})
    def post(self, request):
        """Add a host (the add page's form); the job tests the connection and saves it only if it
        works: 202 with the operation."""
        if not request.user.has_perm("hosts.add_host"):
            raise PermissionDenied("You may not add hosts.")
        refuse_host_limited(request, "it cannot add one")
        return queued(valid(HostForm(_filled(request, Host()))).queue_save(request.user))

    def get_queryset(self):
        if not self.request.user.has_perm("hosts.view_host"):
            raise PermissionDenied("You may not view hosts.")
        return visible_hosts(self.request.user, Host.objects.defer("capabilities", "inventory", "secret")).order_by(
            "name", "id"
        )


class HostDetail(APIView):
    @extend_schema(responses=HostSerializer)
    def get(self, request, pk: int):
        """One host."""
        return Response(HostSerializer(get_host_for_user(request, pk, "view")).data)

    @extend_schema(request=HostInputSerializer, responses={202: OperationSerializer})
    def put(self, request, pk: int):
        """Change the host (the edit page's fields; those left out keep their value, as does the
        secret); saved only if the connection works: 202 with the operation."""
        host = get_host_for_user(request, pk, "change")
        return queued(valid(HostForm(_filled(request, host), instance=host)).queue_save(request.user))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        """Remove the host from the console (nothing changes on the host)."""
        remove_host(request, get_host_for_user(request, pk, "delete"))
        return Response(status=204)


class HostCheck(APIView):
    @extend_schema(request=None, responses={202: OperationSerializer})
    def post(self, request, pk: int):
        """Check the connection to the host now (its facts are read again); 202 with the operation."""
        host = get_host_for_user(request, pk, "change")
        return queued(start_operation(kind="host.check", target=host, user=request.user))


def _filled(request, host: Host) -> dict:
    """The request's fields over the host's own (a new host's defaults), as the page's form starts."""
    return {**model_to_dict(host, fields=HostForm.Meta.fields), **json_object(request)}
