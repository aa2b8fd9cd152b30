"""Re-encrypt every stored host credential with the first key of CREDENTIALS_KEY."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hosts.credentials import UnreadableSecret, rotate
from hosts.models import Host


class Command(BaseCommand):
    help = (
        "Re-encrypt host credentials with the first key of CREDENTIALS_KEY. Rotate a key: put the new key "
        "first (CREDENTIALS_KEY=new,old), restart, run this, then drop the old key."
    )

    def handle(self, *args, **options):
        unreadable = []
        with transaction.atomic():
            hosts = Host.objects.select_for_update().exclude(secret="")
            for host in hosts:
                try:
                    Host.objects.filter(pk=host.pk).update(secret=rotate(host.secret))
                except UnreadableSecret:
                    unreadable.append(host.name)
            if unreadable:
                raise CommandError(
                    f"No key in CREDENTIALS_KEY opens the credentials of: {', '.join(unreadable)}. Nothing was changed."
                )
        self.stdout.write(f"Re-encrypted the credentials of {hosts.count()} host(s) with the first key.")
