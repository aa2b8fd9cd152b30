"""/api/v1/: the schema, its reference page, and the resources."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView

from api import catalog, charts, grants, host_resources, hosts, instances, operations, transfers


@require_GET
@login_required
def reference(request):
    """The browsable reference of the schema (Swagger UI from our static files)."""
    return render(request, "api/reference.html")


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", reference, name="api-docs"),
    path("hosts/", hosts.HostList.as_view(), name="api-host-list"),
    path("hosts/<int:pk>/", hosts.HostDetail.as_view(), name="api-host-detail"),
    path("hosts/<int:pk>/check/", hosts.HostCheck.as_view(), name="api-host-check"),
    path("hosts/<int:pk>/charts/", charts.HostCharts.as_view(), name="api-host-charts"),
    path("hosts/<int:pk>/storage/", host_resources.HostStorage.as_view(), name="api-host-storage"),
    path("hosts/<int:pk>/networks/", host_resources.HostNetworks.as_view(), name="api-host-networks"),
    path("hosts/<int:pk>/storage/<str:pool>/upload/", transfers.VolumeUpload.as_view(), name="api-volume-upload"),
    path("hosts/<int:pk>/actions/<str:name>/", host_resources.HostAction.as_view(), name="api-host-action"),
    path("instances/", instances.InstanceList.as_view(), name="api-instance-list"),
    path("instances/<int:pk>/", instances.InstanceDetail.as_view(), name="api-instance-detail"),
    path("instances/<int:pk>/snapshots/", instances.SnapshotCreate.as_view(), name="api-snapshot-create"),
    path("instances/<int:pk>/snapshots/<str:name>/", instances.SnapshotDelete.as_view(), name="api-snapshot-delete"),
    path(
        "instances/<int:pk>/snapshots/<str:name>/revert/",
        instances.SnapshotRevert.as_view(),
        name="api-snapshot-revert",
    ),
    path("instances/<int:pk>/actions/<str:name>/", instances.InstanceAction.as_view(), name="api-instance-action"),
    path("instances/<int:pk>/devices/<str:name>/", instances.DeviceAction.as_view(), name="api-instance-device"),
    path("instances/<int:pk>/consoles/<str:kind>/", instances.ConsoleTicket.as_view(), name="api-console-ticket"),
    path("instances/<int:pk>/charts/", charts.InstanceCharts.as_view(), name="api-instance-charts"),
    path("instances/<int:pk>/console-log/", transfers.ConsoleLogFetch.as_view(), name="api-console-log"),
    path("flavors/", catalog.FlavorList.as_view(), name="api-flavor-list"),
    path("images/", catalog.ImageList.as_view(), name="api-image-list"),
    path("grants/", grants.GrantList.as_view(), name="api-grant-list"),
    path("grants/<int:pk>/", grants.GrantDetail.as_view(), name="api-grant-detail"),
    path("audit/", catalog.AuditList.as_view(), name="api-audit-list"),
    path("operations/", operations.OperationList.as_view(), name="api-operation-list"),
    path("operations/<int:pk>/", operations.OperationDetail.as_view(), name="api-operation-detail"),
    path("operations/<int:pk>/wait/", operations.OperationWait.as_view(), name="api-operation-wait"),
    path("operations/<int:pk>/file/", transfers.OperationFile.as_view(), name="api-operation-file"),
    path("operations/<int:pk>/stop/", operations.OperationStop.as_view(), name="api-operation-stop"),
]
