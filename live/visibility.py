"""Which live events a page may receive is decided by an app, not here: at start-up it gives
`use(events_filter)`, where events_filter(user) reads the user's access now and returns a function
(kind, data) -> bool. The consumer asks it again when access changes ("grants" events) and
every SCOPE_MAX_AGE seconds. Until an app gives one, nothing is sent."""

from collections.abc import Callable

EventFilter = Callable[[str, dict], bool]
_events_filter: Callable[[object], EventFilter] | None = None


def use(events_filter: Callable[[object], EventFilter]) -> None:
    global _events_filter
    _events_filter = events_filter


def filter_for(user) -> EventFilter:
    """The user's event filter (reads the database: call it off the event loop)."""
    if _events_filter is None:
        return lambda kind, data: False
    return _events_filter(user)
