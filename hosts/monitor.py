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

from hosts.credentials import UnreadableSecret
from hosts.models import Host
from hosts.services import mark_down, mark_up
from virt.events import start_event_loop
from virt.host import read_facts
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
        self.keys: dict[int, tuple] = {}
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
        """Watch every host in the database; a changed URI or credential gets a fresh watch."""
        hosts = {host.pk: host for host in Host.objects.only("pk", "uri", "credential_kind", "username", "secret")}
        for pk in set(self.watches) - set(hosts):
            self.watches.pop(pk).close()
        for pk, host in hosts.items():
            key = (host.uri, host.credential_kind, host.username, host.secret)
            if pk in self.watches and self.keys[pk] != key:
                self.watches.pop(pk).close()
            if pk in self.watches:
                self.watches[pk].refresh(self.executor)
            else:
                self.watches[pk], self.keys[pk] = self._watch(host), key

    def _watch(self, host: Host) -> HostWatch:
        pk, uri = host.pk, host.uri
        try:
            credentials = host.credentials()
        except UnreadableSecret as error:
            self.events.put(("down", pk, str(error)))
            credentials = None
        return HostWatch(
            uri,
            on_up=lambda conn: self.events.put(("up", pk, read_facts(conn, uri=uri))),
            on_down=lambda message: self.events.put(("down", pk, message)),
            policy=self.policy,
            credentials=credentials,
        )

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
                mark_up(host, facts=payload)
            else:
                log.warning("host %s is down: %s", host.name, payload)
                mark_down(host, error=payload)
