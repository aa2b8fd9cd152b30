"""Claims that must hold across every worker, on any machine: a Redis lock that lives as long as
the job holding it (its heartbeat extends it, so a worker that dies frees it within CLAIM_TTL).
The instance lock (one operation per instance at a time), a host's CPU pinning (two spawns never
pin the same CPU) and an image being copied into a host's cache (a second spawn waits for it)
are claims."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from config.redis_client import redis_client
from jobs import heartbeat
from jobs.registry import OperationFailed
from virt import stopping

log = logging.getLogger(__name__)
CLAIM_TTL = 60  # seconds a claim outlives the last heartbeat of the job holding it
WAIT_POLL = 0.5  # seconds between two tries of a claim that is waited for


@contextmanager
def claim(key: str, *, busy: str = "", waiting: str = "", on_wait: Callable[[str], None] | None = None
          ) -> Iterator[None]:  # fmt: skip
    """`with claim("lvc:...")`: held for the block. When another job holds it: OperationFailed(busy)
    with `busy`, else a wait (`waiting` says for what, also to `on_wait(sentence)` as it starts; an
    abort ends it)."""
    # Not thread-local: the job's heartbeat thread extends it.
    lock = redis_client().lock(key, timeout=CLAIM_TTL, thread_local=False)
    first = True
    while not lock.acquire(blocking=False):
        if busy:
            raise OperationFailed(busy)
        if first and on_wait is not None:
            on_wait(f"{waiting[:1].upper()}{waiting[1:]}")
        first = False
        stopping.sleep(WAIT_POLL, f"Stopped while {waiting or 'waiting for ' + key}.")
    beat = heartbeat.current()
    forget = beat.keep(lambda: lock.extend(CLAIM_TTL, replace_ttl=True)) if beat is not None else None
    try:
        yield
    finally:
        if forget is not None:
            forget()
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - expired claims are released by Redis itself
            log.warning("claim %s had expired", key)
