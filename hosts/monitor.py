"""The monitor: one watched connection per host, host status kept current in the database.

Several monitors may run (on several machines); each watches only the hosts whose lease it holds
(hosts.ownership) and writes what it saw of a host only while it still holds that lease.
libvirt callbacks and connection attempts run on other threads; they only put events on a queue.
The monitor's own loop turns those events into database writes (and live page updates)."""

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection

from config.threads import lower_priority
from hosts import pace
from hosts.credentials import UnreadableSecret
from hosts.models import Host, HostStatus
from hosts.ownership import LeaseLost, Ownership
from hosts.services import mark_down, mark_up
from instances import device_stats
from instances.evacuation.operations import remove_evacuated_due
from instances.inventory import apply_details, apply_domain, sync_host
from instances.lifecycle.resume import resume_guests
from instances.resize.settle import confirm_due
from jobs.reaper import REAP_EVERY, reap_once
from live.broadcast import Outbox, broadcast, held_back
from stats.sampling import Sampler
from virt.domains import read_domain, read_domain_details, read_domains
from virt.errors import VirtError
from virt.events import start_event_loop
from virt.host import read_facts
from virt.watch import HostWatch, WatchPolicy, in_use

log = logging.getLogger("hosts.monitor")
APPLY_BUDGET = 0.5  # seconds of writing per pass: leases are renewed every MONITOR_LEASE_TTL / 5


def policy_from_settings() -> WatchPolicy:
    return WatchPolicy(
        connect_timeout=settings.LIBVIRT_CONNECT_TIMEOUT,
        keepalive_interval=settings.LIBVIRT_KEEPALIVE_INTERVAL,
        keepalive_count=settings.LIBVIRT_KEEPALIVE_COUNT,
    )


def _phase(host_pk: int) -> float:
    """A host's place in the refresh interval, in [0, 1): consecutive hosts spread evenly."""
    return (host_pk * 0.6180339887498949) % 1.0


class Monitor:
    def __init__(
        self, *, policy: WatchPolicy | None = None, refresh_interval: float | None = None, name: str | None = None
    ):
        self.policy = policy or policy_from_settings()
        self.refresh_interval = refresh_interval or settings.MONITOR_INTERVAL
        self.ownership = Ownership(name, ttl=settings.MONITOR_LEASE_TTL)
        self.watches: dict[int, HostWatch] = {}
        self.keys: dict[int, tuple] = {}
        self.events: queue.Queue = queue.Queue()
        self.event_times: dict[tuple[int, str], float] = {}  # (host, uuid): when an event's read was taken
        self.slow_facts_due: dict[int, float] = {}  # host pk -> when its slow facts are read again
        self.reading_details: dict[int, set[str]] = {}  # host pk -> uuids whose definitions are being read
        self.executor = ThreadPoolExecutor(
            max_workers=8,
            thread_name_prefix="monitor-connect",
            initializer=lower_priority,
            initargs=(settings.MONITOR_READER_NICE,),
        )
        self.refresh_due: dict[int, float] = {}  # host pk -> when its facts and domains are re-read
        self._next_lease = 0.0
        self._next_reap = 0.0
        self._next_beat = 0.0
        self.applied = 0  # events written since the last beat (hosts.pace)
        self.sampler = Sampler()  # chart history (stats)
        self.outbox = Outbox(every=0.5)  # live updates: at most one message per host every half second
        self.leases_changed = threading.Event()  # set by keep_leases: the hosts to watch changed

    def run(self, stop: threading.Event, *, tick: float = 0.2) -> None:
        start_event_loop()
        keeper = threading.Thread(target=self.keep_leases, args=(stop,), name="monitor-leases", daemon=True)
        keeper.start()
        log.info("monitor started (%s)", self.ownership.name)
        try:
            while not stop.is_set():
                self.step()
                stop.wait(tick)
        finally:
            stop.set()
            keeper.join(30)
            for watch in self.watches.values():
                watch.close()
            self.executor.shutdown(wait=False, cancel_futures=True)
            self._guarded("sending the last live updates", lambda: self.outbox.flush(everything=True))
            self._guarded("handing its hosts over", self.ownership.leave)
            close_old_connections()

    def keep_leases(self, stop: threading.Event) -> None:
        """On a thread of its own: renew the leases, hand over and take hosts (hosts.ownership)
        every `renew_every`, however busy the main loop is: a long pass of writes must neither let
        the leases run out nor delay a takeover after another monitor died."""
        while not stop.is_set():
            began = time.monotonic()
            close_old_connections()
            before = dict(self.ownership.held)
            self._guarded("renewing its leases", self.ownership.step, Host.objects.values_list("pk", flat=True))
            if self.ownership.held != before:
                self.leases_changed.set()
            took = time.monotonic() - began
            if took > self.ownership.renew_every / 2:
                log.warning("monitor: renewing its leases took %.2f s (every %.1f s)", took, self.ownership.renew_every)
            stop.wait(max(0.0, began + self.ownership.renew_every - time.monotonic()))  # a step's own time included
        close_old_connections()

    def step(self) -> None:
        """One pass: follow the hosts it holds, poll every watch, write what happened, and now and
        then reap operations whose worker died. A failing part (the database or Redis away, one
        host misbehaving) is logged and tried again on a later pass; the monitor goes on, and
        leaves its hosts to the others once it could not renew their leases."""
        if self.leases_changed.is_set() or time.monotonic() >= self._next_lease:
            self.leases_changed.clear()
            self._next_lease = time.monotonic() + self.ownership.renew_every
            close_old_connections()
            self._guarded("following its leases", self.sync_hosts)
        if self.watches and not self.ownership.valid():
            log.warning("monitor: its leases ran out unrenewed; it stops watching %s hosts", len(self.watches))
            self.ownership.drop()
            self._guarded("closing its watches", self.sync_hosts)
        self.refresh_due_hosts()
        for watch in list(self.watches.values()):
            self._guarded(f"watching {watch.uri}", watch.poll, self.executor)
        self._guarded("writing what happened", self.apply_events)
        self._guarded("sending live updates", self.outbox.flush)
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
            if not connection.in_atomic_block:  # (inside a write, closing would undo it)
                close_old_connections()

    def refresh_due_hosts(self) -> None:
        """Re-read the facts and domains of the hosts whose turn it is. Each host has its own phase
        in the interval, so a monitor's hosts are read a few at a time, not all in one burst."""
        now = time.monotonic()
        for pk, due in list(self.refresh_due.items()):
            if now >= due:
                missed = (now - due) // self.refresh_interval  # turns gone by while it was busy
                self.refresh_due[pk] = due + (missed + 1) * self.refresh_interval  # its phase kept
                self._guarded(f"re-reading host {pk}", self.watches[pk].refresh, self.executor)

    def sync_hosts(self) -> None:
        """Watch every host this monitor holds; a changed URI or credential gets a fresh watch,
        whose first re-read comes one interval and its own phase after the read it starts with."""
        hosts = {}
        if self.ownership.held:  # (none after its leases ran out: closing needs no database)
            held = Host.objects.filter(pk__in=list(self.ownership.held))
            hosts = {host.pk: host for host in held.only("pk", "uri", "credential_kind", "username", "secret")}
        for pk in set(self.watches) - set(hosts):
            self.watches.pop(pk).close()
            self.reading_details.pop(pk, None)
            self.refresh_due.pop(pk, None)
        for pk, host in hosts.items():
            key = (host.uri, host.credential_kind, host.username, host.secret)
            if pk in self.watches and self.keys[pk] != key:
                self.watches.pop(pk).close()
            if pk not in self.watches:
                self.watches[pk], self.keys[pk] = self._watch(host), key
                self.refresh_due[pk] = time.monotonic() + self.refresh_interval * (1 + _phase(pk))

    def _watch(self, host: Host) -> HostWatch:
        pk, uri = host.pk, host.uri
        try:
            credentials = host.credentials()
        except UnreadableSecret as error:
            self.events.put(("down", pk, str(error)))
            credentials = None
        self.slow_facts_due.pop(pk, None)  # a new connection reads everything first
        return HostWatch(
            uri,
            on_up=lambda conn: self.events.put(("up", pk, self._read_host(pk, conn, uri))),
            on_down=lambda message: self.events.put(("down", pk, message)),
            on_domain=lambda conn, uuid: self._submit(self._read_domain, pk, conn, uuid),
            on_inventory=lambda: self.slow_facts_due.pop(pk, None),
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
        """On the executor: the definitions of newly adopted domains, sent as one event (None for
        one that could not be read)."""
        found: dict[str, dict | None] = dict.fromkeys(uuids)
        try:
            with in_use(conn):
                for uuid in uuids:
                    try:
                        found[uuid] = read_domain_details(conn, uuid)
                    except VirtError as error:
                        log.warning("reading domain %s failed: %s", uuid, error)
        finally:
            self.events.put(("details", pk, found))

    def apply_events(self, *, budget: float = APPLY_BUDGET) -> None:
        """Write queued events for up to `budget` seconds, so that the leases are renewed and the
        watches polled between batches however many hosts report at once (a cold start)."""
        hosts: dict[int, Host | None] = {}
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            try:
                kind, pk, payload = self.events.get_nowait()
            except queue.Empty:
                return
            if kind == "details":  # read (or failed): whatever becomes of it, the next refresh may ask again
                self.reading_details.get(pk, set()).difference_update(payload)
            if pk not in hosts:
                hosts[pk] = Host.objects.filter(pk=pk).first()
            host = hosts[pk]
            if host is None:
                continue
            try:
                with held_back(send=False) as sent, self.ownership.fenced(host.pk):
                    self._apply_event(host, kind, payload)
                for event in sent:  # committed: now pages may learn of it
                    self.outbox.add(host.pk, *event)
                self.applied += 1
            except LeaseLost:
                log.info("monitor: host %s is no longer its own; a %s event is left to its holder", host.name, kind)
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
        mark_up(host, facts=facts, figures_every=3 * self.refresh_interval)
        newer = frozenset(uuid for (pk, uuid), when in self.event_times.items() if pk == host.pk and when > taken)
        result = sync_host(host, records, skip=newer)
        devices = {record.uuid: record.devices for record in records}
        self._guarded("keeping device counters", device_stats.store, devices)  # (Redis: never undoes the writes)
        watch = self.watches.get(host.pk)
        reading = self.reading_details.setdefault(host.pk, set())
        unread = [uuid for uuid in result.created + result.unread if uuid not in reading]
        if unread and watch is not None and watch.conn is not None:  # adopted: read what they are made of
            reading.update(unread)
            self._submit(self._read_details, host.pk, watch.conn, unread)
        if came_back and host.resume_guests and result.stopped_while_down:
            resume_guests(host, result.stopped_while_down)
        self.event_times = {key: when for key, when in self.event_times.items() if when > taken - 60}
        self._guarded("recording chart samples", self._sample, host, facts, records)

    def _sample(self, host: Host, facts, records) -> None:
        if self.sampler.sample(host, facts, records):
            broadcast("stats", {"host_id": host.pk})  # pages showing its charts fetch the new points

    def _read_host(self, pk: int, conn, uri: str) -> tuple:
        """On the executor: the host's facts and all its domains, in bulk. The slow facts
        (capabilities, pools, networks) only every MONITOR_FACTS_INTERVAL, or after a pool or
        network event."""
        taken = time.monotonic()
        slow = taken >= self.slow_facts_due.get(pk, 0)
        domains = read_domains(conn)
        facts = read_facts(conn, uri=uri, slow=slow, domains=domains)  # (counts from `domains`)
        if slow:
            self.slow_facts_due[pk] = taken + settings.MONITOR_FACTS_INTERVAL
        return facts, domains, taken
