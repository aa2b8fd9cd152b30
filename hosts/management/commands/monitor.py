"""`manage.py monitor`: keeps every host's status current.

For now it probes each host every MONITOR_INTERVAL seconds (bounded by LIBVIRT_CONNECT_TIMEOUT)
and records up/down; libvirt events and inventory reconciliation build on this process."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from hosts.models import Host
from hosts.services import probe
from virt.errors import VirtError

log = logging.getLogger("hosts.monitor")


class Command(BaseCommand):
    help = "Watch every host and record whether it answers."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check every host once and exit.")

    def handle(self, *args, once=False, **options):
        log.info("monitor started: checking hosts every %g s", settings.MONITOR_INTERVAL)
        while True:
            self.check_all()
            if once:
                return
            close_old_connections()
            time.sleep(settings.MONITOR_INTERVAL)

    def check_all(self):
        for host in Host.objects.all():
            was = host.status
            try:
                probe(host)
            except VirtError as error:
                if was != host.status:
                    log.warning("host %s is down: %s", host.name, error)
            else:
                if was != host.status:
                    log.info("host %s is up", host.name)
