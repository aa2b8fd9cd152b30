"""Stopping the monitor: Ctrl-C in a terminal signals the whole process group and honcho sends
SIGTERM right after, so the monitor gets several signals at once; it must still end by itself,
cleanly, well within honcho's 5 s grace (a signal arriving inside the handling of the previous
one once deadlocked it until honcho's SIGKILL)."""

import itertools
import os
import signal
import time

from tests.support.processes import ManagedProcess, process_env
from tests.support.waiting import wait_until


def test_a_burst_of_stop_signals_ends_the_monitor_cleanly(tmp_path):
    env = process_env(MONITOR_INTERVAL="1")
    monitor = ManagedProcess("monitor", log_path=tmp_path / "monitor.log", env=env).start()
    try:
        wait_until(lambda: "monitor started" in monitor.log(), timeout=60, what=monitor.log)
        signals = itertools.cycle([signal.SIGINT, signal.SIGTERM])
        until = time.monotonic() + 10
        while monitor.process.poll() is None and time.monotonic() < until:  # signals all along its stop
            os.kill(monitor.pid, next(signals))
            time.sleep(0.0002)
        assert monitor.process.wait(10) == 0, monitor.log()[-3000:]
    finally:
        if monitor.process.poll() is None:
            monitor.kill()
