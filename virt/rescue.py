"""The rescue definition: an instance's own definition with a rescue image in front, booted
instead of it until unrescue defines the original again."""

from lxml import etree

from virt.xml.domain import Boot, Disk, parse
from virt.xml.edit import prepend_disk, set_boot

RESCUE_FLAG = "lvc-rescue"  # appended to the rescue kernel's command line


def rescue_definition(original: str, *, cached: dict, rescue_disk: str, cmdline: str) -> str:
    """The original definition with the rescue image in front: its disk becomes the first disk
    (the instance's own disks move one name down) and its kernel, if any, boots."""
    root = parse(original)
    if rescue_disk:
        prepend_disk(root, Disk(target="vda", source=rescue_disk, bus="virtio", format="qcow2"))
    kernel = cached.get("kernel", "")
    set_boot(root, Boot(kernel=kernel, initrd=cached.get("initrd", ""),
                        cmdline=f"{cmdline} {RESCUE_FLAG}".strip() if kernel else ""))  # fmt: skip
    return etree.tostring(root, encoding="unicode")
