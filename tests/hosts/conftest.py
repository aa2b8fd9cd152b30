import socket

import pytest

from hosts.models import Host


@pytest.fixture
def test_host(db):
    return Host.objects.create(name="Embedded test host", uri="test:///default")


@pytest.fixture
def dead_host(db):
    """A host whose URI points at a closed loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return Host.objects.create(name="Dead host", uri=f"qemu+tcp://127.0.0.1:{port}/system")
