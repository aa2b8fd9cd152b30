"""Network fixtures: the real host with its inventory read, and lvc-test-* names always removed."""

import pytest

from hosts.models import Host
from hosts.services import probe
from tests.networks.support import remove_filter, remove_network, unique_name


def _names(conn, remove):
    """make() -> a fresh lvc-test-* name; at the end, `remove(conn, name)` for each one handed out."""
    names = []

    def make() -> str:
        names.append(unique_name())
        return names[-1]

    yield make
    for name in names:
        remove(conn, name)


@pytest.fixture
def network_names(qemu_conn):
    """network_names() -> a fresh name; whatever network has it is removed at the end."""
    yield from _names(qemu_conn, remove_network)


@pytest.fixture
def filter_names(qemu_conn):
    """filter_names() -> a fresh name; whatever filter has it is removed at the end."""
    yield from _names(qemu_conn, remove_filter)


@pytest.fixture
def qemu_host(transactional_db, qemu_conn):
    """The real host, its inventory (networks, filters) read once."""
    host = Host.objects.create(name="this machine", uri="qemu:///system")
    probe(host)
    host.refresh_from_db()
    return host
