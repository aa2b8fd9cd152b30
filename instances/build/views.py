"""The create page: the form, then the spawn queued (instances.services.create_instance)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from instances.build.forms import InstanceCreateForm
from jobs.services import NoWorker


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("instances.add_instance", raise_exception=True)
def instance_create(request):
    form = InstanceCreateForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            op = form.create(request.user)
        except NoWorker as error:
            messages.error(request, str(error))
        else:
            return redirect("operation-detail", pk=op.pk)
    return render(request, "instances/build/form.html", {"form": form})
