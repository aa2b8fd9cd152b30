"""The monitor: one watched connection per host, host status kept current in the database.

libvirt callbacks and connection attempts run on other threads; they only put events on a queue.
The monitor's own loop turns those events into database writes (and live page updates)."""

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

from hosts.models import Host
from hosts.services import mark_down, mark_up
from virt.events import start_event_loop
from virt.host import summarize
from virt.watch import HostWatch, WatchPolicy

log = logging.getLogger("hosts.monitor")


def policy_from_settings() -> WatchPolicy:
    return WatchPolicy(
        connect_timeout=settings.LIBVIRT_CONNECT_TIMEOUT,
        keepalive_interval=settings.LIBVIRT_KEEPALIVE_INTERVAL,
        keepalive_count=settings.LIBVIRT_KEEPALIVE_COUNT,
    )


class Monitor:
    def __init__(self, *, policy: WatchPolicy | None = None, refresh_interval: float | None = None):
        self.policy = policy or policy_from_settings()
        self.refresh_interval = refresh_interval or settings.MONITOR_INTERVAL
        self.watches: dict[int, HostWatch] = {}
        self.events: queue.Queue = queue.Queue()
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="monitor-connect")
        self._next_refresh = 0.0

    def run(self, stop: threading.Event, *, tick: float = 0.2) -> None:
        start_event_loop()
        log.info("monitor started")
        try:
            while not stop.is_set():
                self.step()
                stop.wait(tick)
        finally:
            for watch in self.watches.values():
                watch.close()
            self.executor.shutdown(wait=False, cancel_futures=True)
            close_old_connections()

    def step(self) -> None:
        """One pass: follow the host list, poll every watch, write what happened."""
        if time.monotonic() >= self._next_refresh:
            self._next_refresh = time.monotonic() + self.refresh_interval
            close_old_connections()
            self.sync_hosts()
        for watch in list(self.watches.values()):
            watch.poll(self.executor)
        self.apply_events()

    def sync_hosts(self) -> None:
        hosts = dict(Host.objects.values_list("pk", "uri"))
        for pk in set(self.watches) - set(hosts):
            self.watches.pop(pk).close()
        for pk, uri in hosts.items():
            watch = self.watches.get(pk)
            if watch is not None and watch.uri != uri:
                watch.close()
                watch = None
            if watch is None:
                self.watches[pk] = self._watch(pk, uri)
            elif watch.conn is not None:
                self.executor.submit(self._read_facts, pk, watch.conn)

    def _watch(self, pk: int, uri: str) -> HostWatch:
        return HostWatch(
            uri,
            on_up=lambda conn: self._read_facts(pk, conn),
            on_down=lambda message: self.events.put(("down", pk, message)),
            policy=self.policy,
        )

    def _read_facts(self, pk: int, conn) -> None:
        self.events.put(("up", pk, summarize(conn)))

    def apply_events(self) -> None:
        while True:
            try:
                kind, pk, payload = self.events.get_nowait()
            except queue.Empty:
                return
            host = Host.objects.filter(pk=pk).first()
            if host is None:
                continue
            if kind == "up":
                if host.status != "up":
                    log.info("host %s is up", host.name)
                mark_up(host, summary=payload)
            else:
                log.warning("host %s is down: %s", host.name, payload)
                mark_down(host, error=payload)
