"""Claims that must hold across every worker, on any machine: a Redis lock that lives as long as
the job holding it (its heartbeat extends it, so a worker that dies frees it within CLAIM_TTL).
The instance lock (one operation per instance at a time), a host's CPU pinning (two spawns never
pin the same CPU) and an image being copied into a host's cache (a second spawn waits for it)
are claims. While Redis does not answer (a restart), taking and releasing one are tried again."""

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from redis.exceptions import LockError, RedisError

from config.redis_client import redis_client
from jobs import heartbeat
from jobs.registry import OperationFailed
from virt import stopping

log = logging.getLogger(__name__)
CLAIM_TTL = 60  # seconds a claim outlives the last heartbeat of the job holding it
WAIT_POLL = 0.5  # seconds between two tries of a claim that is waited for
REDIS_WAIT = CLAIM_TTL  # seconds a claim is tried (taken, released) while Redis does not answer


@contextmanager
def claim(key: str, *, busy: str = "", waiting: str = "", on_wait: Callable[[str], None] | None = None
          ) -> Iterator[None]:  # fmt: skip
    """`with claim("lvc:...")`: held for the block. When another job holds it: OperationFailed(busy)
    with `busy`, else a wait (`waiting` says for what, also to `on_wait(sentence)` as it starts; an
    abort ends it)."""
    # Not thread-local: the job's heartbeat thread extends it.
    lock = redis_client().lock(key, timeout=CLAIM_TTL, thread_local=False)
    first = True
    while not _acquire(lock, key):
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
        _release(lock, key)


def _acquire(lock, key: str) -> bool:
    """lock.acquire(); while Redis does not answer (restarting, say), try again for up to
    REDIS_WAIT (abortable), then OperationFailed: nothing was done without the claim. The tries
    share one token, so a try whose answer was lost is found to have taken it."""
    until, token, failed = time.monotonic() + REDIS_WAIT, uuid.uuid4().hex.encode(), False
    while True:
        try:
            if lock.acquire(blocking=False, token=token):
                return True
            if failed and lock.redis.get(key) == token:
                lock.local.token = token
                return True
            return False
        except RedisError as error:
            if time.monotonic() >= until:
                raise OperationFailed(f"Redis does not answer ({str(error).rstrip('.')}), so {key} could not be "
                                      f"claimed. Nothing was done.") from None  # fmt: skip
            failed = True
            log.warning("claim %s: Redis does not answer (%s); trying again in %g s", key, error, WAIT_POLL)
            stopping.sleep(WAIT_POLL, f"Stopped while waiting for Redis to claim {key}.")


def _release(lock, key: str) -> None:
    """Release the claim; while Redis does not answer, try again (it keeps the claim across a
    restart, and the next job on the target would be refused as busy) until the claim would have
    expired anyway."""
    until, token = time.monotonic() + REDIS_WAIT, lock.local.token
    lock.local.token = None  # as lock.release() does: this lock object holds nothing any more
    while True:
        try:
            lock.do_release(token)  # (lock.release() forgets the token before asking Redis)
            return
        except LockError:  # expired (or taken over after expiring): Redis has dropped it already
            log.warning("claim %s had expired", key)
            return
        except RedisError as error:
            if time.monotonic() >= until:
                log.warning("claim %s not released (Redis: %s); it expires by itself", key, error)
                return
            log.warning("claim %s: Redis does not answer (%s); releasing it again in %g s", key, error, WAIT_POLL)
            time.sleep(WAIT_POLL)
