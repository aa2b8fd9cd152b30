"""Queue an image cache cleanup on every host that is up (run it from cron, e.g. hourly)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hosts.models import Host, HostStatus
from jobs.services import NoWorker, start_operation


class Command(BaseCommand):
    help = "Remove cached image files no instance used for IMAGE_CACHE_MAX_AGE hours, on every host that is up."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=float, default=settings.IMAGE_CACHE_MAX_AGE, help="hours")

    def handle(self, *args, max_age: float, **options):
        if max_age < 0:
            raise CommandError("--max-age must not be negative")
        for host in Host.objects.filter(status=HostStatus.UP):
            try:
                op = start_operation(kind="host.image_cache", target=host, params={"max_age_hours": max_age})
            except NoWorker as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"{host}: queued operation #{op.pk}")
