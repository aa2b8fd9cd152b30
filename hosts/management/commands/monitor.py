"""`manage.py monitor`: keep a connection per host and record whether each answers."""

import signal
import threading

from django.core.management.base import BaseCommand

from hosts.monitor import Monitor


class Command(BaseCommand):
    help = "Watch every host (keepalive + close events) and record up/down within seconds."

    def handle(self, *args, **options):
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        Monitor().run(stop)
