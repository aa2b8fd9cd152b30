"""The migrate page: the destination and tunables; the checks shown all at once; queued when they pass."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from config.forms import posted
from instances.access import get_instance_for_user
from instances.migration.forms import MigrateForm
from instances.operation_pages import operation_page


@require_http_methods(["GET", "POST"])
@login_required
def migrate(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = MigrateForm(posted(request), instance=instance, user=request.user)
    text = (
        "The running guest moves to the chosen host without stopping. The checks run now and again when the job "
        "starts (then also the CPU and whether the storage is shared); nothing moves unless all pass. It can be "
        "aborted while it copies: the guest then stays here, unharmed."
    )
    return operation_page(request, instance, form=form, kind="instance.live_migrate",
                          title=f"Migrate {instance} to another host", submit="Migrate", text=text)  # fmt: skip
