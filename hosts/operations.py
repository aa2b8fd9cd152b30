"""Host operations carried out on the worker."""

from hosts.models import Host
from hosts.services import probe
from jobs.registry import operation


@operation("host.check", label="Check connection")
def check_connection(op, report):
    host = Host.objects.get(pk=op.target_id)
    report(10, f"Connecting to {host.uri}")
    return probe(host).summary.as_dict()
