"""Network fixtures: the real host with its inventory read, and lvc-test-* names always removed."""

import pytest

from hosts.models import Host
from hosts.services import probe
from tests.networks.support import remove_filter, remove_network, unique_name
from tests.support.names import name_factory


@pytest.fixture
def network_names(qemu_conn):
    """network_names() -> a fresh name; whatever network has it is removed at the end."""
    yield from name_factory(qemu_conn, new=unique_name, remove=remove_network)


@pytest.fixture
def filter_names(qemu_conn):
    """filter_names() -> a fresh name; whatever filter has it is removed at the end."""
    yield from name_factory(qemu_conn, new=unique_name, remove=remove_filter)


@pytest.fixture
def qemu_host(transactional_db, qemu_conn):
    """The real host, its inventory (networks, filters) read once."""
    host = Host.objects.create(name="this machine", uri="qemu:///system")
    probe(host)
    host.refresh_from_db()
    return host
