"""The process-wide libvirt connection pool (one per worker / monitor process)."""

from functools import cache

from django.conf import settings

from virt.connection import ConnectionPool


@cache
def pool() -> ConnectionPool:
    return ConnectionPool(timeout=settings.LIBVIRT_CONNECT_TIMEOUT)
