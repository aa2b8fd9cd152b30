"""What `make run` puts in an empty catalog so that a first instance is minutes away: flavors
like Nova's m1.*, and a demo image — the tiny Linux guest scripts/build-test-guest.sh builds (a
kernel and an initramfs with a shell on the serial console and the screen)."""

from django.core.files import File

from instances.models import Flavor, Image
from instances.tiny_guest import tiny_guest_dir

# name, vCPUs, memory (MiB), root disk (GiB): Nova's defaults
FLAVORS = [("m1.tiny", 1, 512, 1), ("m1.small", 1, 2048, 20), ("m1.medium", 2, 4096, 40), ("m1.large", 4, 8192, 80)]
DEMO_IMAGE = "tiny-linux-demo"
DEMO_CMDLINE = "console=tty0 console=ttyS0"


def seed_flavors() -> list[str]:
    """The m1.* flavors, when there is no flavor at all (a catalog the admin has shaped is left alone)."""
    if Flavor.objects.exists():
        return []
    Flavor.objects.bulk_create(Flavor(name=name, vcpus=vcpus, memory_mib=memory, disk_gib=disk)
                               for name, vcpus, memory, disk in FLAVORS)  # fmt: skip
    return [name for name, *_ in FLAVORS]


def seed_demo_image() -> str:
    """The demo image when there is no image at all and the tiny guest has been built; why not, else."""
    if Image.objects.exists():
        return "images exist: no demo image added"
    built = tiny_guest_dir()
    if not (built / "vmlinuz").exists() or not (built / "initrd.img").exists():
        return f"no demo image: the tiny guest is not built ({built}; `make hypervisor` builds it)"
    image = Image(name=DEMO_IMAGE, cmdline=DEMO_CMDLINE)
    for role, file_name in (("kernel", "vmlinuz"), ("initrd", "initrd.img")):
        with open(built / file_name, "rb") as file:
            getattr(image, role).save(f"{DEMO_IMAGE}-{file_name}", File(file), save=False)
    image.save()
    return f"demo image {DEMO_IMAGE} added"
