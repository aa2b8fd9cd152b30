"""Storage fixtures: real pools on the real libvirtd, named lvc-test-*, always removed."""

import uuid

import pytest

from config.settings import file_storages
from hosts.models import Host
from hosts.services import probe
from tests.support.names import name_factory
from tests.support.pools import remove_pool
from virt import storage

NAME_PREFIX = "lvc-test-"


def unique(suffix: str = "") -> str:
    return f"{NAME_PREFIX}{uuid.uuid4().hex[:10]}{suffix}"


@pytest.fixture
def pool_names(qemu_conn):
    """pool_names() -> a fresh lvc-test-* pool name, removed from the real host at the end."""
    yield from name_factory(qemu_conn, new=unique, remove=remove_pool)


@pytest.fixture
def pool_dir(tmp_path):
    """A world-traversable folder where a pool may create its directory."""
    tmp_path.chmod(0o755)
    return tmp_path


@pytest.fixture
def real_pool(qemu_conn, pool_names, pool_dir):
    """A running dir pool on the real host."""
    name = pool_names()
    storage.define_dir_pool(qemu_conn, name=name, path=str(pool_dir / name))
    return name


@pytest.fixture
def real_volume(qemu_conn, real_pool):
    """A 1 MiB raw volume in the real pool: (pool, volume)."""
    name = unique(".img")
    storage.create_volume(qemu_conn, real_pool, name=name, capacity=1024**2, fmt="raw")
    return real_pool, name


@pytest.fixture
def qemu_host(transactional_db, real_volume):
    """The real host, its inventory read (with the real pool and volume in it)."""
    host = Host.objects.create(name="this machine", uri="qemu:///system")
    probe(host)
    host.refresh_from_db()
    return host


@pytest.fixture
def transfers_dir(settings, tmp_path):
    """The transfers storage in a temp folder for the test (the worker thread sees the same settings)."""
    folder = tmp_path / "state" / "transfers"
    settings.STORAGES = file_storages(settings.FILE_STORAGE, settings.FILE_STORAGE_OPTIONS, folder)
    return folder
