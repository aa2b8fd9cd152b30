"""The home page: the fleet at a glance."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.scope import visible_hosts, visible_instances, visible_operations
from hosts.models import Host
from hosts.queries import hosts_for_table
from instances.models import Instance
from jobs.models import Operation


@require_GET
@login_required
def home(request):
    user = request.user
    context = {
        "hosts": visible_hosts(user, hosts_for_table()) if user.has_perm("hosts.view_host") else Host.objects.none(),
        "instance_states": (
            visible_instances(user, Instance.objects.all())
            .values("state")
            .annotate(count=Count("id"))
            .order_by("state")
            if user.has_perm("instances.view_instance")
            else []
        ),
        "operations": (
            visible_operations(user, Operation.objects.select_related("user"))[:10]
            if user.has_perm("jobs.view_operation")
            else []
        ),
    }
    return render(request, "home.html", context)
