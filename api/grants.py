"""Grants through the API (superusers, as on the grants page): list, add, remove — audited, with the
page's form and the same functions."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.grant_forms import GrantForm
from accounts.grant_views import add_grant, remove_grant, require_superuser
from accounts.models import Grant
from api import examples
from api.instances import json_object, valid
from api.permissions import refuse_host_limited


class GrantSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default=None, allow_null=True, read_only=True)
    group = serializers.CharField(source="group.name", default=None, allow_null=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Grant
        fields = ["id", "role", "user", "group", "host", "instance", "created", "created_by"]


class GrantInputSerializer(serializers.Serializer):
    """A grant as the grants page takes it: a role for a user or a group (their ids) on a host, an
    instance, or neither (the whole fleet)."""

    role = serializers.CharField()
    user = serializers.IntegerField(required=False, allow_null=True)
    group = serializers.IntegerField(required=False, allow_null=True)
    host = serializers.IntegerField(required=False, allow_null=True)
    instance = serializers.IntegerField(required=False, allow_null=True)


def _administrator(request) -> None:
    require_superuser(request.user)
    refuse_host_limited(request, "grants are the fleet's")


class GrantList(generics.ListAPIView):
    serializer_class = GrantSerializer

    def get_queryset(self):
        _administrator(self.request)
        return Grant.objects.select_related("user", "group", "created_by")

    @extend_schema(examples=examples.GRANT, request=GrantInputSerializer, responses={201: GrantSerializer})
    def post(self, request):
        """Add a grant (audited); 201 with it."""
        _administrator(request)
        grant = add_grant(request, valid(GrantForm(json_object(request))))
        return Response(GrantSerializer(grant).data, status=201)


class GrantDetail(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        """Remove the grant (audited)."""
        _administrator(request)
        remove_grant(request, get_object_or_404(Grant, pk=pk))
        return Response(status=204)
