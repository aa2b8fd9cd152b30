"""The rule that keeps needed volumes: who needs a file, said in words (no libvirt, no database)."""

from storage.usage import needs, pool_refusal, volume_refusal
from virt.usage import HostFiles

POOL, CACHE = "/pools/instances", "/pools/cache"


def chain() -> HostFiles:
    """base (cache) <- disk.qcow2 (used by web1) <- snap.qcow2 (used by web2); an unused overlay on other.img."""
    files = HostFiles(pool_dirs={"instances": POOL, "cache": CACHE})
    for pool, directory, name in [("cache", CACHE, "base.img"), ("cache", CACHE, "other.img"),
                                  ("instances", POOL, "disk.qcow2"), ("instances", POOL, "snap.qcow2"),
                                  ("instances", POOL, "orphan.qcow2")]:  # fmt: skip
        files.volumes[f"{directory}/{name}"] = (pool, name)
    files.backing = {f"{POOL}/disk.qcow2": f"{CACHE}/base.img", f"{POOL}/snap.qcow2": f"{POOL}/disk.qcow2",
                     f"{POOL}/orphan.qcow2": f"{CACHE}/other.img"}  # fmt: skip
    files.use(f"{POOL}/disk.qcow2", "web1")
    files.use(f"{POOL}/snap.qcow2", "web2")
    return files


def test_a_volume_a_domain_uses_is_refused_naming_the_domain():
    files = chain()
    files.use(f"{POOL}/snap.qcow2", "web3")
    assert volume_refusal(files, f"{POOL}/snap.qcow2", "snap.qcow2") == (
        "Volume snap.qcow2 is in use by domains web2, web3: nothing was deleted."
    )


def test_a_cached_base_is_refused_as_the_backing_file_of_every_domain_above_it():
    files = chain()
    assert [str(need) for need in needs(files, f"{CACHE}/base.img")] == [
        "the backing file of volume disk.qcow2 used by domains web1, web2"
    ]
    assert [str(need) for need in needs(files, f"{POOL}/disk.qcow2")] == [
        "domain web1",
        "the backing file of volume snap.qcow2 used by domain web2",
    ]


def test_the_backing_file_of_an_unused_overlay_is_kept_too_and_an_unneeded_volume_is_not():
    files = chain()
    assert volume_refusal(files, f"{CACHE}/other.img", "other.img") == (
        "Volume other.img is in use by the backing file of volume orphan.qcow2: nothing was deleted."
    )
    assert volume_refusal(files, f"{POOL}/orphan.qcow2", "orphan.qcow2") is None


def test_a_backing_loop_ends():
    files = HostFiles(backing={"/a": "/b", "/b": "/a"})
    files.use("/a", "web1")
    assert [str(need) for need in needs(files, "/b")] == ["the backing file of volume /a used by domain web1"]


def test_a_pool_holding_a_needed_volume_is_refused_naming_each():
    message = pool_refusal(chain(), "cache")
    assert message == (
        "Pool cache holds volumes in use (base.img by the backing file of volume disk.qcow2 used by domains web1, "
        "web2; other.img by the backing file of volume orphan.qcow2): nothing was deleted."
    )


def test_a_stopped_pool_is_refused_by_the_files_in_its_directory():
    files = HostFiles(pool_dirs={"stopped": "/pools/stopped", "free": "/pools/free"})
    files.use("/pools/stopped/disk.img", "web1")
    assert pool_refusal(files, "stopped") == (
        "Pool stopped holds volumes in use (/pools/stopped/disk.img by domain web1): nothing was deleted."
    )
    assert pool_refusal(files, "free") is None
