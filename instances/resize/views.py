"""The resize page (a flavor and a host; the checks shown at once; queued when they pass). Confirm and
Revert are buttons of the instance page (instances.actions)."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from config.forms import posted
from instances.access import get_instance_for_user
from instances.actions import ACTIONS
from instances.operation_pages import operation_page


@require_http_methods(["GET", "POST"])
@login_required
def resize(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = ACTIONS["resize"].make_form(posted(request), instance, request.user)
    text = (
        "The guest is shut down (gracefully, then forced after the timeout), given the new flavor — on another "
        "host its disks are copied there — and started again if it was running. It then waits for you: Confirm "
        "keeps it, Revert brings it back exactly as it was. Unconfirmed resizes are confirmed by themselves "
        "after a while."
    )
    return operation_page(request, instance, form=form, kind="instance.resize", title=f"Resize or cold-migrate "
                          f"{instance}", submit="Resize", text=text)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def grow(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = ACTIONS["grow"].make_form(posted(request), instance, request.user)
    text = (
        "More vCPUs and memory while it runs, up to the maximums it was defined with (its flavor's extra specs "
        "lvc:max_vcpus and lvc:max_memory_mib); its definition keeps them. A change the guest refuses is taken back."
    )
    return operation_page(request, instance, form=form, kind="instance.grow", title=f"Grow {instance}",
                          submit="Grow", text=text)  # fmt: skip
