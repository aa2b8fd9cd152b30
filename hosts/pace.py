"""The monitor's pace, for the metrics: when it last made a pass and how many events (domain
changes, host reads) it has written, kept in Redis (the monitor may run in another process)."""

import time

from config.redis_client import redis_client

BEAT, EVENTS = "lvc:monitor:beat", "lvc:monitor:events-applied"


def beat(applied: int) -> None:
    """A pass was made now, and `applied` more events were written since the last beat."""
    pipe = redis_client().pipeline(transaction=False)
    pipe.set(BEAT, time.time())
    if applied:
        pipe.incrby(EVENTS, applied)
    pipe.execute()


def read() -> tuple[float | None, int]:
    """(epoch seconds of the last pass or None, events written in all)."""
    last, events = redis_client().mget([BEAT, EVENTS])
    return (float(last) if last else None), int(events or 0)
