"""Files through the API, as the pages move them: a file uploaded into a volume (multipart, queued
as the upload operation), an instance's console log fetched (an operation), and the file a finished
download or console-log fetch read, served by the page's own view."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.views import APIView

from api.instances import queued, valid
from api.operations import visible
from api.serializers import OperationSerializer
from console.views import fetched_console_log
from hosts.access import get_host_for_user
from instances.access import get_instance_for_user
from instances.services import request_operation
from jobs.services import start_operation
from storage import transfers
from storage.forms import UploadForm
from storage.host_operations import find_pool, upload_params
from storage.views import downloaded_volume

# The operation kinds that leave a file for their user, and the page view that serves it:
# (request, the operation's target id, the operation's id) -> FileResponse.
FETCHED_FILES = {"storage.volume_download": downloaded_volume, "instance.console_log": fetched_console_log}


class UploadSerializer(serializers.Serializer):
    """The upload page's form: the file, and either an existing volume or a new volume's name."""

    file = serializers.FileField()
    volume = serializers.CharField(required=False, help_text="An existing volume of the pool to write the file into.")
    name = serializers.CharField(required=False, help_text="Or a new volume to create (raw, the file's size).")


class VolumeUpload(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={202: OperationSerializer})
    def post(self, request, pk: int, pool: str):
        """Upload a file (multipart/form-data) into a volume of the pool, as the upload page does;
        202 with the operation that writes it."""
        host = get_host_for_user(request, pk, "change")
        found = find_pool(host, pool)["pool"]
        form = valid(UploadForm(request.POST, request.FILES, volumes=found.get("volumes", [])))
        params = upload_params(found, form)
        try:
            return queued(start_operation(kind="storage.volume_upload", target=host, user=request.user, params=params))
        except BaseException:
            transfers.discard(params["upload"])
            raise


class ConsoleLogFetch(APIView):
    @extend_schema(request=None, responses={202: OperationSerializer})
    def post(self, request, pk: int):
        """Read the end of the instance's console log, as its console-log page does; 202 with the
        operation. Once it has succeeded, the log is at the operation's `file` URL."""
        instance = get_instance_for_user(request, pk, "console")
        return queued(request_operation(instance=instance, kind="instance.console_log", user=request.user))


class OperationFile(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        """The file your finished volume download (served once, then removed) or console-log fetch
        read, with the page's rules: only who asked for it, with the right to see what it concerns."""
        op = get_object_or_404(visible(request), pk=pk)
        serve = FETCHED_FILES.get(op.kind)
        if serve is None:
            raise Http404(f"Operation {op.pk} ({op.label}) leaves no file to fetch.")
        return serve(request, int(op.target_id), op.pk)
