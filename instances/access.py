"""Who may do what to an instance: return the object or raise 404/403 (see accounts.access)."""

from django.http import Http404

from accounts.access import NEEDS, check, job_refusal
from accounts.scope import RANK, scope_for
from config.prepared import Prepared
from instances.models import Instance

# Deleting is also a change: it is an operation on the instance like any other.
PERMISSIONS = {
    "view": ("instances.view_instance",),
    "change": ("instances.change_instance",),
    "delete": ("instances.change_instance", "instances.delete_instance"),
    "console": ("instances.view_instance", "instances.console_instance"),
}

instances_by_pk = Prepared(lambda pk: Instance.objects.select_related("host", "flavor", "image").filter(pk=pk))


def get_instance_for_user(request, pk: int, action: str) -> Instance:
    found = instances_by_pk(pk)
    if not found:
        raise Http404("No Instance matches the given query.")
    instance = found[0]
    role = scope_for(request.user).role_on_instance(instance.pk, instance.host_id)
    check(request, perms=PERMISSIONS[action], role=role, action=action, what=f"instance {instance.pk}")
    return instance


def may(user, instance: Instance, action: str) -> bool:
    """Whether a user may do `action` on the instance (for showing buttons and links)."""
    role = scope_for(user).role_on_instance(instance.pk, instance.host_id)
    return user.has_perms(PERMISSIONS[action]) and RANK[role] >= RANK[NEEDS[action]]


def job_authority(op, action: str) -> str | None:
    """For jobs.authority: why the user of an operation on an instance may no longer run it."""
    perms = ("instances.add_instance",) if action == "add" else PERMISSIONS[action]

    def role_of(scope) -> str | None:
        if op.target_id:
            return scope.role_on_instance(int(op.target_id), op.host_id)
        return scope.role_on_host(op.host_id)

    return job_refusal(op, action, perms=perms, role_of=role_of if op.target_id or op.host_id is not None else None)
