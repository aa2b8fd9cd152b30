"""What instances are made from, through the API: flavors and images (read); and the audit log (read)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from api.permissions import refuse_host_limited
from api.serializers import AuditEntrySerializer, FlavorSerializer, ImageSerializer
from audit.forms import AuditFilterForm
from audit.models import AuditEntry
from instances.models import Flavor, Image


class FlavorList(generics.ListAPIView):
    """The flavors an instance can be created with."""

    serializer_class = FlavorSerializer

    def get_queryset(self):
        _may_see_instances(self.request)
        return Flavor.objects.order_by("name")


class ImageList(generics.ListAPIView):
    """The images an instance can be created from."""

    serializer_class = ImageSerializer

    def get_queryset(self):
        _may_see_instances(self.request)
        return Image.objects.order_by("name")


def _may_see_instances(request) -> None:
    if not request.user.has_perm("instances.view_instance"):
        raise PermissionDenied("You may not view instances, nor what they are made from.")


class AuditList(generics.ListAPIView):
    serializer_class = AuditEntrySerializer

    @extend_schema(description="The audit log, newest first, with the audit page's filters.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        request = self.request
        if not request.user.has_perm("audit.view_auditentry"):
            raise PermissionDenied("You may not read the audit log.")
        refuse_host_limited(request, "the audit log is the fleet's")
        form = AuditFilterForm(request.query_params)
        form.is_valid()
        return form.filter(AuditEntry.objects.all())
