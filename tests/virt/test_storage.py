"""virt/storage: pools and volumes changed through libvirt, XML built with lxml, names checked."""

import io
import os

import pytest
from lxml import etree

from tests.storage.conftest import remove_pool, unique
from virt import storage
from virt.errors import HostSystemError, InvalidOperation, NotFound, Unsupported


@pytest.mark.parametrize("name", ["a", "lvc-test-1", "disk.qcow2", "A_b-9.img", "x" * 100, "-lead"])
def test_safe_names_pass(name):
    assert storage.check_name(name) == name


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", 'a"b', "<x>", "ü", "a b", "a\nb", "x" * 101, None])
def test_unsafe_names_are_refused_with_the_rule(name):
    with pytest.raises(storage.InvalidName, match="letters, digits"):
        storage.check_name(name)


@pytest.mark.parametrize(("path", "clean"), [("/srv/pool", "/srv/pool"), ("/srv//pool/", "/srv/pool")])
def test_pool_paths_are_normalised(path, clean):
    assert storage.check_pool_path(path) == clean


@pytest.mark.parametrize("path", ["srv/pool", "/", "/srv/../etc", "/a\x00b", ""])
def test_bad_pool_paths_are_refused(path):
    with pytest.raises(storage.InvalidPath):
        storage.check_pool_path(path)


def test_pool_and_volume_xml_are_built_as_trees():
    pool = etree.fromstring(storage.dir_pool_xml("p1", "/srv/a&b <c>"))
    assert (pool.get("type"), pool.findtext("name"), pool.findtext("target/path")) == ("dir", "p1", "/srv/a&b <c>")
    volume = etree.fromstring(storage.volume_xml("v.qcow2", 1024, "qcow2"))
    assert volume.find("capacity").get("unit") == "bytes" and volume.findtext("capacity") == "1024"
    assert volume.find("target/format").get("type") == "qcow2"
    with pytest.raises(storage.InvalidName):
        storage.volume_xml("</name>", 1, None)


def test_a_dir_pool_is_defined_started_stopped_and_deleted_on_the_test_driver(test_conn):
    storage.define_dir_pool(test_conn, name="p1", path="/p1", autostart=True)
    pool = {p["name"]: p for p in storage.read_pools(test_conn)}["p1"]
    assert (pool["type"], pool["path"], pool["active"], pool["autostart"]) == ("dir", "/p1", True, True)

    with pytest.raises(InvalidOperation, match="already running"):
        storage.start_pool(test_conn, "p1")
    storage.stop_pool(test_conn, "p1")
    assert not test_conn.storagePoolLookupByName("p1").isActive()
    storage.start_pool(test_conn, "p1")
    storage.delete_pool(test_conn, "p1")
    assert "p1" not in [p["name"] for p in storage.read_pools(test_conn)]


def test_missing_pools_and_volumes_are_not_found(test_conn):
    with pytest.raises(NotFound, match="No such storage pool"):
        storage.start_pool(test_conn, "nope")
    with pytest.raises(NotFound, match="No such volume"):
        storage.delete_volume(test_conn, "default-pool", "nope")


def test_volumes_are_created_and_deleted_in_the_test_pool(test_conn):
    storage.create_volume(test_conn, "default-pool", name="v.img", capacity=1024**2, fmt="raw")
    (pool,) = [p for p in storage.read_pools(test_conn) if p["name"] == "default-pool"]
    assert [(v["name"], v["format"], v["capacity"]) for v in pool["volumes"]] == [("v.img", "raw", 1024**2)]
    storage.delete_volume(test_conn, "default-pool", "v.img")
    assert not test_conn.storagePoolLookupByName("default-pool").listAllVolumes(0)


def test_shrinking_bad_formats_and_oversized_uploads_are_refused_before_libvirt(test_conn, tmp_path):
    storage.create_volume(test_conn, "default-pool", name="v.img", capacity=1024, fmt="raw")
    with pytest.raises(InvalidOperation, match="can only grow"):
        storage.resize_volume(test_conn, "default-pool", "v.img", 512)
    with pytest.raises(InvalidOperation, match="Unknown volume format"):
        storage.create_volume(test_conn, "default-pool", name="w", capacity=1, fmt="vmdk")
    with pytest.raises(InvalidOperation, match="larger than volume"):
        storage.upload_volume(test_conn, "default-pool", "v.img", io.BytesIO(b"x" * 2048), 2048)
    with pytest.raises(Unsupported):  # the test driver cannot resize: a clear message, not a crash
        storage.resize_volume(test_conn, "default-pool", "v.img", 4096)


@pytest.fixture
def qemu_pool(qemu_conn, tmp_path):
    tmp_path.chmod(0o755)
    name = unique()
    try:
        storage.define_dir_pool(qemu_conn, name=name, path=str(tmp_path / "pool"))
        yield name, tmp_path
    finally:
        remove_pool(qemu_conn, name)


def test_upload_and_download_stream_through_libvirt_with_progress_on_the_real_host(qemu_conn, qemu_pool):
    pool, _folder = qemu_pool
    data = os.urandom(2 * 1024**2 + 7)
    storage.create_volume(qemu_conn, pool, name="up.img", capacity=len(data), fmt="raw")
    sent, received, out = [], [], io.BytesIO()

    sent_n = storage.upload_volume(qemu_conn, pool, "up.img", io.BytesIO(data), len(data), lambda *a: sent.append(a))
    assert sent_n == len(data)
    got = storage.download_volume(qemu_conn, pool, "up.img", out, lambda *a: received.append(a))

    assert got == len(data) and out.getvalue() == data
    assert sent[-1] == (len(data), len(data)) and len(sent) > 2
    assert received[-1] == (len(data), len(data)) and len(received) > 2


def test_a_pool_with_volumes_keeps_its_directory_and_a_failed_define_leaves_nothing(qemu_conn, qemu_pool, tmp_path):
    pool, folder = qemu_pool
    storage.create_volume(qemu_conn, pool, name="v.qcow2", capacity=1024**2, fmt="qcow2")
    with pytest.raises(InvalidOperation, match="still holds 1 volume"):
        storage.delete_pool(qemu_conn, pool, delete_dir=True)
    assert qemu_conn.storagePoolLookupByName(pool).isActive()

    name = unique()
    with pytest.raises(HostSystemError, match="absent"):
        storage.define_dir_pool(qemu_conn, name=name, path=str(folder / "absent"), build=False)
    assert name not in qemu_conn.listStoragePools() + qemu_conn.listDefinedStoragePools()


def test_a_file_error_on_the_host_is_a_system_error_not_an_unreachable_host(qemu_conn, qemu_pool):
    pool, folder = qemu_pool
    (folder / "file").write_text("not a directory")
    name = unique()
    with pytest.raises(HostSystemError, match=r"^File or system error on the host: .*Not a directory"):
        storage.define_dir_pool(qemu_conn, name=name, path=str(folder / "file" / "pool"))
    assert name not in qemu_conn.listStoragePools() + qemu_conn.listDefinedStoragePools()
