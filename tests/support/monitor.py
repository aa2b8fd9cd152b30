"""The real monitor in a thread, with a short refresh interval and quick keepalive."""

import threading
from contextlib import contextmanager

from hosts.monitor import Monitor
from virt.watch import WatchPolicy


@contextmanager
def running_monitor(*, refresh_interval: float = 1):
    monitor = Monitor(
        policy=WatchPolicy(connect_timeout=2, keepalive_interval=1, keepalive_count=2),
        refresh_interval=refresh_interval,
    )
    stop = threading.Event()
    thread = threading.Thread(target=monitor.run, args=(stop,), kwargs={"tick": 0.1}, daemon=True)
    thread.start()
    try:
        yield monitor
    finally:
        stop.set()
        thread.join(10)
