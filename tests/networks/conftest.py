"""Network fixtures: the real host with its inventory read, and lvc-test-* names always removed."""

import pytest

from hosts.models import Host
from hosts.services import probe
from tests.networks.support import remove_filter, remove_network, unique_name


@pytest.fixture
def network_names(qemu_conn):
    """network_names() -> a fresh lvc-test-* name; whatever network has it is removed at the end."""
    names = []

    def make() -> str:
        names.append(unique_name())
        return names[-1]

    yield make
    for name in names:
        remove_network(qemu_conn, name)


@pytest.fixture
def filter_names(qemu_conn):
    """filter_names() -> a fresh lvc-test-* name; whatever filter has it is removed at the end."""
    names = []

    def make() -> str:
        names.append(unique_name())
        return names[-1]

    yield make
    for name in names:
        remove_filter(qemu_conn, name)


@pytest.fixture
def qemu_host(transactional_db, qemu_conn):
    """The real host, its inventory (networks, filters) read once."""
    host = Host.objects.create(name="this machine", uri="qemu:///system")
    probe(host)
    host.refresh_from_db()
    return host
