"""`manage.py register_default_hosts`: add the LIBVIRT_DEFAULT_URIS that answer as hosts."""

from django.conf import settings
from django.core.management.base import BaseCommand

from hosts.services import probe, register_host
from virt.errors import VirtError

NAMES = {"test+unix:///default": "Embedded test host", "qemu:///system": "This machine (QEMU)"}


class Command(BaseCommand):
    help = "Register the default libvirt URIs (LIBVIRT_DEFAULT_URIS) that answer as hosts."

    def handle(self, *args, **options):
        for uri in settings.LIBVIRT_DEFAULT_URIS:
            host, created = register_host(name=NAMES.get(uri, uri), uri=uri)
            try:
                summary = probe(host).summary
            except VirtError as error:
                if created:
                    host.delete()
                    self.stdout.write(f"not registered {uri}: {error}")
                else:
                    self.stdout.write(f"host {host.name} ({uri}) is down: {error}")
                continue
            verb = "registered" if created else "already registered"
            self.stdout.write(f"{verb} {host.name} ({uri}): {summary.hypervisor} {summary.hypervisor_version}")
