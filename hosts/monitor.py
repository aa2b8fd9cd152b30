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

from hosts import pace
from hosts.credentials import UnreadableSecret
from hosts.models import Host, HostStatus
from hosts.services import mark_down, mark_up
from instances import device_stats
from instances.evacuation.operations import remove_evacuated_due
from instances.inventory import apply_details, apply_domain, sync_host
from instances.lifecycle.resume import resume_guests
from instances.resize.settle import confirm_due
from jobs.reaper import REAP_EVERY, reap_once
from live.broadcast import broadcast
from stats.sampling import Sampler
from virt.domains import read_domain, read_domain_details, read_domains
from virt.errors import VirtError
from virt.events import start_event_loop
from virt.host import read_facts
from virt.watch import HostWatch, WatchPolicy, in_use

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
        self.event_times: dict[tuple[int, str], float] = {}  # (host, uuid): when an event's read was taken
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="monitor-connect")
        self._next_refresh = 0.0
        self._next_reap = 0.0
        self._next_beat = 0.0
        self.applied = 0  # events written since the last beat (hosts.pace)
        self.sampler = Sampler()  # chart history (stats)

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
        """One pass: follow the host list, poll every watch, write what happened, and now and then
        reap operations whose worker died. A failing part (the database or Redis away, one host
        misbehaving) is logged and tried again on a later pass; the monitor goes on."""
        if time.monotonic() >= self._next_refresh:
            self._next_refresh = time.monotonic() + self.refresh_interval
            close_old_connections()
            self._guarded("reading the host list", self.sync_hosts)
        for watch in list(self.watches.values()):
            self._guarded(f"watching {watch.uri}", watch.poll, self.executor)
        self._guarded("writing what happened", self.apply_events)
        if time.monotonic() >= self._next_beat:
            self._next_beat = time.monotonic() + 1
            applied, self.applied = self.applied, 0
            self._guarded("recording its pace", pace.beat, applied)
        if time.monotonic() >= self._next_reap:
            self._next_reap = time.monotonic() + REAP_EVERY
            self._guarded("reaping operations whose worker died", reap_once)
            self._guarded("confirming resizes left unconfirmed", confirm_due)
            self._guarded("removing what evacuated guests left on hosts that came back", remove_evacuated_due)

    @staticmethod
    def _guarded(what: str, func, *args) -> None:
        try:
            func(*args)
        except Exception:  # noqa: BLE001  (the error boundary: one failure never ends the monitor)
            log.exception("monitor: %s failed; trying again later", what)
            close_old_connections()

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
            on_up=lambda conn: self.events.put(("up", pk, _read_host(conn, uri))),
            on_down=lambda message: self.events.put(("down", pk, message)),
            on_domain=lambda conn, uuid: self._submit(self._read_domain, pk, conn, uuid),
            policy=self.policy,
            credentials=credentials,
        )

    def _submit(self, func, *args) -> None:
        """Run `func` on the executor, unless the monitor is stopping (late libvirt callbacks)."""
        try:
            self.executor.submit(func, *args)
        except RuntimeError:
            log.debug("monitor stopping: %s not run", func.__name__)

    def _read_domain(self, pk: int, conn, uuid: str) -> None:
        """On the executor, after an event: the domain's state and definition as they are now."""
        taken = time.monotonic()
        try:
            with in_use(conn):
                record = read_domain(conn, uuid)
                details = read_domain_details(conn, uuid) if record is not None else None
        except VirtError as error:
            log.warning("reading domain %s after an event failed: %s", uuid, error)
            return
        self.events.put(("domain", pk, (uuid, record, details, taken)))

    def _read_details(self, pk: int, conn, uuids: list[str]) -> None:
        """On the executor: the definitions of newly adopted domains, sent as one event."""
        found = {}
        with in_use(conn):
            for uuid in uuids:
                try:
                    found[uuid] = read_domain_details(conn, uuid)
                except VirtError as error:
                    log.warning("reading domain %s failed: %s", uuid, error)
        self.events.put(("details", pk, found))

    def apply_events(self, *, batch: int = 500) -> None:
        """Write up to `batch` queued events, so that the watches are polled between batches."""
        hosts: dict[int, Host | None] = {}
        for _ in range(batch):
            try:
                kind, pk, payload = self.events.get_nowait()
            except queue.Empty:
                return
            if pk not in hosts:
                hosts[pk] = Host.objects.filter(pk=pk).first()
            host = hosts[pk]
            if host is None:
                continue
            try:
                self._apply_event(host, kind, payload)
                self.applied += 1
            except Exception:  # noqa: BLE001  (one host's event never blocks the others; the next read settles it)
                log.exception("monitor: applying a %s event of host %s failed", kind, host.name)
                close_old_connections()

    def _apply_event(self, host: Host, kind: str, payload) -> None:
        if kind == "up":
            self._host_up(host, *payload)
        elif kind == "domain":
            uuid, record, details, taken = payload
            self.event_times[(host.pk, uuid)] = taken
            apply_domain(host, uuid, record, details)
        elif kind == "details":
            apply_details(host, payload)
        else:
            log.warning("host %s is down: %s", host.name, payload)
            mark_down(host, error=payload)

    def _host_up(self, host: Host, facts, records, taken: float) -> None:
        came_back = host.status != HostStatus.UP
        if came_back:
            log.info("host %s is up", host.name)
        mark_up(host, facts=facts)
        newer = frozenset(uuid for (pk, uuid), when in self.event_times.items() if pk == host.pk and when > taken)
        result = sync_host(host, records, skip=newer)
        device_stats.store({record.uuid: record.devices for record in records})
        watch = self.watches.get(host.pk)
        if result.created and watch is not None and watch.conn is not None:  # adopted: read what they are made of
            self._submit(self._read_details, host.pk, watch.conn, result.created)
        if came_back and host.resume_guests and result.stopped_while_down:
            resume_guests(host, result.stopped_while_down)
        self.event_times = {key: when for key, when in self.event_times.items() if when > taken - 60}
        self._guarded("recording chart samples", self._sample, host, facts, records)

    def _sample(self, host: Host, facts, records) -> None:
        if self.sampler.sample(host, facts, records):
            broadcast("stats", {"host_id": host.pk})  # pages showing its charts fetch the new points


def _read_host(conn, uri: str) -> tuple:
    """On the executor: the host's facts and all its domains, in bulk."""
    taken = time.monotonic()
    return read_facts(conn, uri=uri), read_domains(conn), taken
