"""Where scripts/build-test-guest.sh puts the tiny Linux guest (the demo image's files and the
test guest): named by the script's hash, outside the checkout so that libvirt's QEMU user can read
it wherever the checkout lives. No Django here: the test harness uses it before Django is set up."""

import hashlib
from pathlib import Path

BUILD_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build-test-guest.sh"


def tiny_guest_dir() -> Path:
    return Path("/var/lib/libvirt/images/lvc-tiny-guest") / hashlib.sha256(BUILD_SCRIPT.read_bytes()).hexdigest()[:16]
