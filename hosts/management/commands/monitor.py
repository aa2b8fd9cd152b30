"""`manage.py monitor`: keep a connection per host and record whether each answers."""

import signal
import threading

from django.core.management.base import BaseCommand

from hosts.monitor import Monitor
from stats.history import move_into_shards

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Command(BaseCommand):
    help = "Watch every host (keepalive + close events) and record up/down within seconds."

    def handle(self, *args, **options):
        stop = threading.Event()
        # No Python signal handler: Event.set takes a lock, and a second signal arriving inside the
        # first handler's set() (Ctrl-C, then honcho's SIGTERM) deadlocked the stop. Instead the
        # signals are blocked here, and so in every thread started from now on, and one thread
        # receives them and sets the event.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        threading.Thread(target=_stop_on_signal, args=(stop,), name="monitor-signals", daemon=True).start()
        if moved := move_into_shards():
            self.stdout.write(f"chart history: {moved} files moved into shard folders")
        Monitor().run(stop)


def _stop_on_signal(stop: threading.Event) -> None:
    signal.sigwait(STOP_SIGNALS)
    stop.set()
