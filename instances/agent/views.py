"""Guest agent pages: set a user's password in the guest (an operation through the agent)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from instances.access import get_instance_for_user
from instances.actions import ACTIONS
from instances.agent.forms import SetPasswordForm
from instances.agent.operations import request_set_password
from instances.services import Busy
from jobs.services import NoWorker


@require_http_methods(["GET", "POST"])
@login_required
def set_password(request, pk: int):
    """GET: the form. POST: queue setting the password through the guest agent."""
    instance = get_instance_for_user(request, pk, "change")
    form = SetPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not ACTIONS["set-password"].allowed(instance):
            state = instance.get_state_display().lower() + (" and rescued" if instance.rescued else "")
            form.add_error(None, f"The guest agent answers only while the guest runs: {instance} is {state}.")
        else:
            data = form.cleaned_data
            try:
                op = request_set_password(
                    instance=instance, user=request.user, username=data["user"], password=data["password"]
                )
            except (Busy, NoWorker) as error:
                form.add_error(None, str(error))
            else:
                return redirect("operation-detail", pk=op.pk)
    return render(request, "instances/agent/set_password.html", {"instance": instance, "form": form})
