"""Asking for instance changes: each becomes an operation (a job). Called by views."""

import uuid

from django.db import transaction

from hosts.credentials import encrypt
from hosts.models import Host
from instances.models import Flavor, Image, Instance, InstanceState
from jobs.models import Operation
from jobs.services import Busy, active_operation, start_operation

__all__ = ["Busy", "create_instance", "pending_operation", "request_operation"]


def pending_operation(instance: Instance) -> Operation | None:
    return active_operation("instance", str(instance.pk))


def request_operation(*, instance: Instance, kind: str, user, params: dict | None = None) -> Operation:
    """Queue `kind` on the instance unless another operation on it is queued or running (then
    Busy: the database keeps one active operation per instance, whatever the number of web processes)."""
    with transaction.atomic():
        return start_operation(kind=kind, target=instance, user=user, params=params or {})


def create_instance(
    *,
    host: Host,
    name: str,
    flavor: Flavor,
    image: Image,
    user,
    admin_password: str = "",
    ssh_keys: tuple[str, ...] = (),
    files: tuple[tuple[str, str], ...] = (),
    networks: tuple[str, ...] = (),
    start: bool = True,
) -> Operation:
    """Record the new instance (state Building) and queue its spawn. The admin password is kept
    encrypted in the operation's input and erased once the config drive holds it."""
    with transaction.atomic():
        instance = Instance.objects.create(
            host=host, uuid=uuid.uuid4(), name=name, state=InstanceState.BUILDING,
            vcpus=flavor.vcpus, memory_mib=flavor.memory_mib, flavor=flavor, image=image,
        )  # fmt: skip
        params = {
            "admin_password": encrypt(admin_password),
            "ssh_keys": list(ssh_keys),
            "files": [list(item) for item in files],
            "networks": list(networks),
            "start": start,
        }
        return start_operation(kind="instance.spawn", target=instance, user=user, params=params)
