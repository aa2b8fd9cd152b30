"""The process-wide libvirt connection pool (one per worker / monitor process)."""

from functools import cache

from django.conf import settings

from virt.connection import ConnectionPool
from virt.events import start_event_loop


@cache
def pool() -> ConnectionPool:
    start_event_loop()  # keepalive needs it; it must run before connections are opened
    keepalive = (settings.LIBVIRT_KEEPALIVE_INTERVAL, settings.LIBVIRT_KEEPALIVE_COUNT)
    return ConnectionPool(timeout=settings.LIBVIRT_CONNECT_TIMEOUT, keepalive=keepalive)
