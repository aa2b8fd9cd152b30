"""Instance pages read the database only."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from instances.models import Instance


@require_GET
@login_required
@permission_required("instances.view_instance", raise_exception=True)
def instance_list(request):
    page = Paginator(Instance.objects.select_related("host"), 50).get_page(request.GET.get("page"))
    return render(request, "instances/instance_list.html", {"page": page})
