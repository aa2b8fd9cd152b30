"""The clone page of a shut-off instance (a name and a host; queued when valid)."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from config.forms import posted
from instances.access import get_instance_for_user
from instances.actions import ACTIONS
from instances.operation_pages import operation_page


@require_http_methods(["GET", "POST"])
@login_required
def clone(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = ACTIONS["clone"].make_form(posted(request), instance, request.user)
    text = (
        "Its disks are copied (on its host or to another one) and a new instance is defined with them: a new name, "
        "UUID and MAC addresses, a fresh config drive, shut off. The instance itself is not changed."
    )
    return operation_page(request, instance, form=form, kind="instance.clone", title=f"Clone {instance}",
                          submit="Clone", text=text)  # fmt: skip
