"""Host operations carried out on the worker."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from hosts.connections import pool
from hosts.credentials import CredentialKind, UnreadableSecret
from hosts.models import Host
from hosts.operation_support import target_host
from hosts.services import mark_up, probe
from jobs.models import Operation
from jobs.registry import OperationFailed, operation
from virt.host import try_host


@operation("host.check", label="Check connection")
def check_connection(op, report):
    host = target_host(op)
    report(10, f"Connecting to {host.uri}")
    return probe(host).summary.as_dict()


@operation("host.save", label="Save host")
def save_host(op, report):
    """Add or change a host, but only once a connection with its settings works."""
    params = op.params
    host = target_host(op) if params.get("host_id") else Host()  # an edit: the host must still be there
    old_uri = host.uri
    for field, value in params["fields"].items():
        setattr(host, field, value)
    if params.get("secret") is not None:
        host.secret = params["secret"]
    if host.credential_kind == CredentialKind.NONE:
        host.secret = ""
    if host.uri != old_uri:  # another machine perhaps: KVM is proven there anew
        host.kvm_usable, host.kvm_note, host.kvm_probed = None, "", None

    report(20, f"Testing the connection to {host.uri}")
    try:
        facts = try_host(host.uri, timeout=pool().timeout, credentials=host.credentials())
    except UnreadableSecret as error:
        raise OperationFailed(str(error)) from None

    report(90, "Saving")
    with transaction.atomic():
        try:
            host.full_clean()
        except ValidationError as error:
            raise OperationFailed(" ".join(error.messages)) from None
        host.save()
        Operation.objects.filter(pk=op.pk).update(target_id=str(host.pk), host=host)
    for uri in {old_uri, host.uri} - {""}:
        pool().drop(uri)  # the next use opens it with the new settings
    mark_up(host, facts=facts)
    return {"host_id": host.pk, "url": reverse("host-detail", args=[host.pk])}
