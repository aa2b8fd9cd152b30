"""The firewall page of an instance: put its own filter (on a host filter, with an IP address)
on one of its NICs, or take the filter off (an operation, see operations.py)."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from config.forms import posted
from instances.access import get_instance_for_user
from instances.actions import ACTIONS
from instances.operation_pages import operation_page


@require_http_methods(["GET", "POST"])
@login_required
def nic_firewall(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = ACTIONS["nic-firewall"].make_form(posted(request), instance, request.user)
    return operation_page(request, instance, form=form, kind="instance.nic_firewall",
                          title=f"Firewall of a network interface of {instance}", submit="Apply",
                          text="The interface gets the instance's own filter lvc-instance-<uuid>, built on the chosen "
                          "filter of the host, in the running guest and in its definition.")  # fmt: skip
