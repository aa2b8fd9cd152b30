"""Instances through the API: the list with the pages' filters and sort, one instance, and every
action of its page (queued as an operation: 202 with the operation's URL)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import visible_instances
from api import examples
from api.errors import error_response
from api.permissions import token_of
from api.serializers import (
    ActionSerializer,
    ConsoleTicketInputSerializer,
    ConsoleTicketSerializer,
    CreateSerializer,
    DeviceActionSerializer,
    InstanceDetailSerializer,
    InstanceSerializer,
    OperationSerializer,
    SnapshotSerializer,
)
from config.lookups import positive_id
from console.views import KINDS, console_tickets, ticket_refusal
from instances.access import get_instance_for_user
from instances.actions import ACTIONS
from instances.build.forms import InstanceCreateForm
from instances.disks.devices import DISK_OPERATIONS
from instances.models import InstanceState
from instances.nics.devices import NIC_OPERATIONS
from instances.queries import SORTS, instances_for_list, ordering
from instances.services import request_operation
from instances.snapshots.forms import SnapshotForm
from instances.snapshots.views import found

FILTERS = [
    OpenApiParameter("host", int, description="Only the instances of this host (its id)."),
    OpenApiParameter("state", str, enum=InstanceState.values, description="Only instances in this state."),
    OpenApiParameter("q", str, description="Name contains this, or the UUID is this."),
    OpenApiParameter("sort", str, enum=[*SORTS, *(f"-{key}" for key in SORTS)], description="Order (- reverses)."),
]


class InstanceList(generics.ListAPIView):
    serializer_class = InstanceSerializer

    @extend_schema(examples=examples.CREATE, request=CreateSerializer, responses={202: OperationSerializer})
    def post(self, request):
        """Create an instance (the create page's form: host, name, flavor, image, networks,
        admin_password, ssh_keys, file_path, file_content, start); 202 with its spawn."""
        if not request.user.has_perm("instances.add_instance"):
            raise PermissionDenied("You may not create instances.")
        data = {"start": True, **json_object(request)}  # started unless the request says otherwise, as on the page
        return queued(valid(InstanceCreateForm(data, user=request.user)).create(request.user))

    @extend_schema(parameters=FILTERS)
    def get(self, request, *args, **kwargs):
        """The instances you see, filtered and sorted as on the instance list page."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if not self.request.user.has_perm("instances.view_instance"):
            raise PermissionDenied("You may not view instances.")
        query = self.request.query_params
        state = query.get("state", "")
        q = query.get("q", "").replace("\x00", "").strip()[:100]
        queryset = instances_for_list(host_id=positive_id(query.get("host")), state=state, q=q,
                                      sort=ordering(query.get("sort", "name"))[0])  # fmt: skip
        return visible_instances(self.request.user, queryset)


class InstanceDetail(APIView):
    @extend_schema(responses=InstanceDetailSerializer)
    def get(self, request, pk: int):
        """One instance, with its disks, NICs and consoles."""
        return Response(InstanceDetailSerializer(get_instance_for_user(request, pk, "view")).data)


class InstanceAction(APIView):
    @extend_schema(examples=examples.ACTION,
        request=ActionSerializer,
        responses={202: OperationSerializer},
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     enum=sorted(name for name, action in ACTIONS.items() if action.in_api))],
    )  # fmt: skip
    def post(self, request, pk: int, name: str):
        """Queue an action of the instance page (start, shutdown, reboot, pause, rescue, rebuild…) or of
        a page of its own (migrate, resize, grow, clone); `params` takes what its page's form takes.
        202 with the operation, which can be waited for."""
        action = ACTIONS.get(name)
        if action is None or not action.in_api:
            raise Http404(f"No action {name!r}.")
        instance = get_instance_for_user(request, pk, "delete" if action.name == "delete" else "change")
        if not action.allowed(instance):
            state = instance.get_state_display().lower()
            return error_response(
                status.HTTP_409_CONFLICT, f"{action.label} is not possible while {instance} is {state}."
            )
        body = ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = action.make_form(body.validated_data["params"], instance, request.user)
        params = {**action.params, **(valid(form).params() if form is not None else {})}
        return queued(request_operation(instance=instance, kind=action.kind, user=request.user, params=params))


DEVICE_OPERATIONS = {**DISK_OPERATIONS, **NIC_OPERATIONS}


class DeviceAction(APIView):
    @extend_schema(
        examples=examples.DEVICE,
        request=DeviceActionSerializer,
        responses={202: OperationSerializer},
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(DEVICE_OPERATIONS))],
    )
    def post(self, request, pk: int, name: str):
        """Queue an operation on a disk or NIC of the instance (attach, detach, grow, swap, media, link);
        `device` names the disk (target, e.g. vdb) or NIC (MAC), `params` takes what its page's form
        takes. 202 with the operation."""
        operation = DEVICE_OPERATIONS.get(name)
        if operation is None:
            raise Http404(f"No device operation {name!r}.")
        instance = get_instance_for_user(request, pk, "change")
        body = DeviceActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        device = operation.device(instance, body.validated_data["device"])
        form = operation.form_for(body.validated_data["params"], instance, device)
        params = operation.params(device, valid(form) if form is not None else None)
        return queued(request_operation(instance=instance, kind=operation.kind, user=request.user, params=params))


class ConsoleTicket(APIView):
    @extend_schema(
        examples=examples.CONSOLE,
        request=ConsoleTicketInputSerializer,
        responses=ConsoleTicketSerializer,
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(KINDS))],
    )
    def post(self, request, pk: int, kind: str):
        """Tickets for the instance's graphical console (VNC or SPICE) through the console proxy; the
        websocket must be opened with this request's API token (a session's tickets need the page)."""
        if kind not in KINDS:
            raise Http404(f"No {kind} console.")
        instance = get_instance_for_user(request, pk, "console")
        body = ConsoleTicketInputSerializer(data=json_object(request))
        body.is_valid(raise_exception=True)
        channels = str(body.validated_data["channels"])
        refusal = ticket_refusal(instance, channels)
        if refusal:
            return error_response(*refusal)
        token = token_of(request)
        found = console_tickets(request, instance, kind, int(channels), token_id=token.pk if token else None)
        return Response(ConsoleTicketSerializer(found).data)


class SnapshotCreate(APIView):
    @extend_schema(examples=examples.SNAPSHOT, request=SnapshotSerializer, responses={202: OperationSerializer})
    def post(self, request, pk: int):
        """Snapshot the instance (its disks, and its memory when it runs); 202 with the operation."""
        instance = get_instance_for_user(request, pk, "change")
        form = valid(SnapshotForm(json_object(request), instance=instance))
        return queued(request_operation(instance=instance, kind="instance.snapshot_create", user=request.user,
                                        params=form.params()))  # fmt: skip


class SnapshotRevert(APIView):
    @extend_schema(request=None, responses={202: OperationSerializer})
    def post(self, request, pk: int, name: str):
        """Revert the instance to the snapshot: what was written since is lost; 202 with the operation."""
        instance = get_instance_for_user(request, pk, "change")
        found(instance, "snapshots", "name", name)
        return queued(request_operation(instance=instance, kind="instance.snapshot_revert", user=request.user,
                                        params={"name": name}))  # fmt: skip


class SnapshotDelete(APIView):
    @extend_schema(request=None, responses={202: OperationSerializer},
                   parameters=[OpenApiParameter("children", bool, description="Its child snapshots too.")])  # fmt: skip
    def delete(self, request, pk: int, name: str):
        """Delete the snapshot (the instance as it runs is not changed); 202 with the operation."""
        instance = get_instance_for_user(request, pk, "change")
        found(instance, "snapshots", "name", name)
        children = request.query_params.get("children", "") in ("1", "true", "on")
        return queued(request_operation(instance=instance, kind="instance.snapshot_delete", user=request.user,
                                        params={"name": name, "children": children}))  # fmt: skip


def json_object(request) -> dict:
    """The request's JSON body, which must be an object."""
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
    return request.data


def valid(form):
    """The page's form, valid; else a 400 with its messages per field. A field the request leaves
    out takes the value the page shows in it at first (as a browser would send it)."""
    data = form.data.copy()  # a dict (JSON) or a QueryDict (multipart)
    for name, field in form.fields.items():
        shown = form.get_initial_for_field(field, name)
        if name not in data and shown not in (None, ""):
            data[name] = shown
    form.data = data
    if not form.is_valid():
        raise serializers.ValidationError({key: list(errors) for key, errors in form.errors.items()})
    return form


def queued(op) -> Response:
    """202 with the operation; its URL in Location."""
    url = reverse("api-operation-detail", args=[op.pk])
    return Response(OperationSerializer(op).data, status=status.HTTP_202_ACCEPTED, headers={"Location": url})
