"""resume_state_on_host_boot: when a host comes back, start the guests that were running before,
if the admin asked for it on the host."""

import logging

from hosts.models import Host
from instances.models import Instance
from jobs.services import NoWorker, start_operation

log = logging.getLogger(__name__)


def resume_guests(host: Host, instance_ids: list[int]) -> int:
    """Queue a start for each instance; returns how many were queued."""
    queued = 0
    for instance in Instance.objects.filter(host=host, pk__in=instance_ids):
        try:
            start_operation(kind="instance.start", target=instance, params={"reason": "host came back"})
        except NoWorker as error:
            log.warning("not starting %s again on %s: %s", instance, host, error)
            return queued
        queued += 1
    log.info("host %s came back: starting %d guest(s) that were running", host, queued)
    return queued
