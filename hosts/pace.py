"""The monitor's pace, for the metrics: when it last made a pass and how many events (domain
changes, host reads) it has written, kept in Redis (the monitor may run in another process)."""

import time

import django_rq

BEAT, EVENTS = "lvc:monitor:beat", "lvc:monitor:events-applied"


def beat(applied: int) -> None:
    """A pass was made now, and `applied` more events were written since the last beat."""
    pipe = django_rq.get_connection("default").pipeline(transaction=False)
    pipe.set(BEAT, time.time())
    if applied:
        pipe.incrby(EVENTS, applied)
    pipe.execute()


def read() -> tuple[float | None, int]:
    """(epoch seconds of the last pass or None, events written in all)."""
    last, events = django_rq.get_connection("default").mget([BEAT, EVENTS])
    return (float(last) if last else None), int(events or 0)
