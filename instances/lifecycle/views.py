"""The action buttons of the instance page (the action table, instances/actions.py): a
confirmation page for destructive ones (with the action's form, if any), the operation queued on POST."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.forms import posted
from instances.access import get_instance_for_user
from instances.actions import ACTIONS, Action
from instances.models import Instance
from instances.services import Busy, request_operation
from jobs.services import NoWorker


@require_http_methods(["GET", "POST"])
@login_required
def instance_action(request, pk: int, name: str):
    """GET: the confirmation page of a destructive action. POST: queue the action."""
    action = ACTIONS.get(name)
    if action is None or not action.button:
        raise Http404(f"No action {name!r}.")
    if request.method == "GET" and not action.confirm:
        return HttpResponseNotAllowed(["POST"])
    instance = get_instance_for_user(request, pk, "delete" if action.name == "delete" else "change")
    if not action.allowed(instance):
        return _refuse(request, instance, f"{action.label} is not possible while {instance} is {_state(instance)}.")
    form = action.make_form(posted(request), instance, request.user)
    if request.method == "GET" or (form is not None and not form.is_valid()):
        context = {"instance": instance, "action": action, "form": form}
        return render(request, "instances/lifecycle/confirm.html", context)
    return _queue(request, instance, action, {**action.params, **(form.params() if form else {})})


def _state(instance: Instance) -> str:
    state = instance.get_state_display().lower()
    return f"{state} and rescued" if instance.rescued else state


def _queue(request, instance: Instance, action: Action, params: dict):
    """Queue the action. A button on the detail page (htmx) gets a line for the page, which stays
    and follows the operation live; a plain form goes to the operation's page."""
    try:
        op = request_operation(instance=instance, kind=action.kind, user=request.user, params=params)
    except (Busy, NoWorker) as error:
        return _refuse(request, instance, str(error))
    if _from_htmx(request):  # a line that follows the operation live until it ends
        return render(request, "instances/lifecycle/_result.html", {"instance": instance, "op": op})
    return redirect("operation-detail", pk=op.pk)


def _refuse(request, instance: Instance, text: str):
    if _from_htmx(request):
        return render(request, "instances/lifecycle/_result.html", {"level": "error", "text": text})
    messages.error(request, text)
    return redirect("instance-detail", pk=instance.pk)


def _from_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"
