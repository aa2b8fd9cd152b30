"""The Operations page: every job, newest first, updated live."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from jobs.models import Operation, OperationStatus


@require_GET
@login_required
@permission_required("jobs.view_operation", raise_exception=True)
def operation_list(request):
    operations = Operation.objects.select_related("user")
    status = request.GET.get("status", "")
    if status in OperationStatus.values:
        operations = operations.filter(status=status)
    page = Paginator(operations, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "jobs/operation_list.html",
        {"page": page, "status": status, "statuses": OperationStatus.choices},
    )


@require_GET
@login_required
@permission_required("jobs.view_operation", raise_exception=True)
def operation_detail(request, pk: int):
    op = get_object_or_404(Operation.objects.select_related("user"), pk=pk)
    return render(request, "jobs/operation_detail.html", {"op": op})
