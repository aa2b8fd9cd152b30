"""Hosts through the API: the list the user sees and one host (the pages' access rule)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import visible_hosts
from api.serializers import HostSerializer
from hosts.access import get_host_for_user
from hosts.models import Host


class HostList(generics.ListAPIView):
    """The hosts you see, by name."""

    serializer_class = HostSerializer

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
