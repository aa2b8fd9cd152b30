"""The create page: the form, then the spawn queued (instances.services.create_instance)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from instances.build.forms import InstanceCreateForm
from instances.services import create_instance
from jobs.services import NoWorker


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("instances.add_instance", raise_exception=True)
def instance_create(request):
    form = InstanceCreateForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            op = create_instance(
                host=data["host"], name=data["name"], flavor=data["flavor"], image=data["image"],
                user=request.user, admin_password=data["admin_password"], ssh_keys=data["ssh_keys"],
                files=form.injected_files(), networks=tuple(data["networks"]), start=data["start"],
            )  # fmt: skip
        except NoWorker as error:
            messages.error(request, str(error))
        else:
            return redirect("operation-detail", pk=op.pk)
    return render(request, "instances/build/form.html", {"form": form})
