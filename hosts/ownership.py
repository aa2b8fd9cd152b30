"""Which monitor watches which host when several run.

Every monitor process is a member while it renews its row. Each host is preferred by one live
member, chosen by rendezvous hashing (the member with the highest hash of member + host), so a
member joining or leaving moves only its own share of the hosts. Exclusivity is a lease row per
host: its holder renews it every fifth of its time to live; another member takes it over only
once it expired or was released, raising its epoch. Times are the database's clock, so the
machines' clocks do not matter.

A monitor writes what it saw of a host only inside `fenced(host)`: holder, epoch and expiry are
checked by a write to the lease row in the same transaction as the monitor's own writes, so the
row stays locked until they commit. A monitor that lost its lease (paused, partitioned, its
renewals failing) can therefore never overwrite the new holder's data; and one that cannot renew
gives up its hosts by itself once its leases may have run out (`valid`)."""

import hashlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Now

from hosts.models import HostLease, MonitorMember

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """This monitor no longer holds the host's lease: what it saw is not written."""


def member_name() -> str:
    """Unique per monitor process, and telling where it runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def preferred(members: Iterable[str], host_pk: int) -> str | None:
    """The member a host belongs to: the highest hash of (member, host). Adding a member moves
    only the hosts it now wins; removing one moves only its own."""
    return max(members, key=lambda member: _weight(member, host_pk), default=None)


def _weight(member: str, host_pk: int) -> int:
    digest = hashlib.blake2b(f"{member}/{host_pk}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _in(seconds: float) -> ExpressionWrapper:
    """The database's clock `seconds` from now."""
    return ExpressionWrapper(Now() + Value(timedelta(seconds=seconds)), output_field=DateTimeField())


class Ownership:
    """One monitor's membership and leases. `step(hosts)` every `renew_every` seconds (the
    monitor's lease thread); `held` and `fenced` are read by its main loop meanwhile."""

    def __init__(self, name: str | None = None, *, ttl: float):
        self.name = name or member_name()
        self.ttl = ttl
        self.renew_every = ttl / 5
        self.held: dict[int, int] = {}  # host pk -> epoch of the lease this monitor holds
        self._valid_until = 0.0  # monotonic: until then no lease held here can have expired

    def valid(self) -> bool:
        """False once the leases may have run out (the last renewal is older than their time)."""
        return time.monotonic() < self._valid_until

    def step(self, host_pks: Iterable[int]) -> dict[int, int]:
        """Renew membership and leases, give up hosts another live member is preferred for, and
        take the free ones this monitor is preferred for. Returns the leases held now."""
        started = time.monotonic()
        if not MonitorMember.objects.filter(name=self.name).update(renewed=Now()):
            MonitorMember.objects.create(name=self.name, renewed=Now())
        mine_now = HostLease.objects.filter(monitor=self.name, host_id__in=list(self.held))
        mine_now.update(expires=_in(self.ttl))  # a lease taken over meanwhile has another holder
        self.held = {pk: epoch for pk, epoch in mine_now.values_list("host_id", "epoch") if self.held.get(pk) == epoch}
        self._valid_until = started + self.ttl
        alive = MonitorMember.objects.filter(renewed__gt=_in(-self.ttl))
        members = list(alive.values_list("name", flat=True))
        MonitorMember.objects.filter(renewed__lt=_in(-100 * self.ttl)).delete()  # long gone
        mine, others = [], []
        for pk in host_pks:
            (mine if preferred(members, pk) == self.name else others).append(pk)
        self.release([pk for pk in others if pk in self.held])
        self._claim([pk for pk in mine if pk not in self.held])
        return self.held

    def _claim(self, pks: list[int]) -> None:
        """Take the leases of these hosts that nobody holds (none yet, expired or released)."""
        if not pks:
            return
        HostLease.objects.filter(host_id__in=pks, expires__lte=Now()).update(
            monitor=self.name, epoch=F("epoch") + 1, expires=_in(self.ttl)
        )
        missing = set(pks) - set(HostLease.objects.filter(host_id__in=pks).values_list("host_id", flat=True))
        for pk in missing:
            try:
                with transaction.atomic():
                    HostLease.objects.create(host_id=pk, monitor=self.name, epoch=1, expires=_in(self.ttl))
            except IntegrityError:
                pass  # another monitor created it meanwhile, or the host was just removed
        taken = HostLease.objects.filter(host_id__in=pks, monitor=self.name).values_list("host_id", "epoch")
        for pk, epoch in taken:
            log.info("monitor %s: now watching host %s (lease epoch %s)", self.name, pk, epoch)
            self.held[pk] = epoch

    def release(self, pks: Iterable[int]) -> None:
        """Give these hosts up at once (another member takes them at its next step)."""
        for pk in list(pks):
            epoch = self.held.pop(pk, None)
            if epoch is not None:
                HostLease.objects.filter(host_id=pk, monitor=self.name, epoch=epoch).update(expires=Now())
                log.info("monitor %s: host %s handed over", self.name, pk)

    def leave(self) -> None:
        """A clean stop: every lease released and the membership ended, so the others take over at
        their next step instead of waiting for expiry."""
        self.release(list(self.held))
        MonitorMember.objects.filter(name=self.name).delete()

    def drop(self) -> None:
        """Forget every lease without touching the database (it cannot be reached, or the leases
        ran out): nothing is written for these hosts until they are claimed again."""
        self.held = {}
        self._valid_until = 0.0

    @contextmanager
    def fenced(self, host_pk: int) -> Iterator[None]:
        """A transaction in which this monitor may write what it saw of the host: entered only
        while it holds the host's unexpired lease at the epoch it knows, and with the lease row
        locked (a takeover waits for the commit). Raises LeaseLost otherwise, writing nothing."""
        epoch = self.held.get(host_pk)
        if epoch is None:
            raise LeaseLost(host_pk)
        with transaction.atomic():
            current = HostLease.objects.filter(host_id=host_pk, monitor=self.name, epoch=epoch, expires__gt=Now())
            if not current.update(epoch=F("epoch")):  # a write: the row stays locked until commit
                self.held.pop(host_pk, None)
                raise LeaseLost(host_pk)
            yield
