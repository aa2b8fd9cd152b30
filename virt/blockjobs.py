"""Block jobs (copy, commit) of a running domain: wait until one has caught up, then end it."""

import time
from collections.abc import Callable

import libvirt

from virt import stopping
from virt.errors import VirtError


class BlockJobError(VirtError):
    """A block job that stopped, or did not finish in time; the message says which."""


def finish_when_ready(domain: libvirt.virDomain, target: str, *, what: str, pivot: bool, timeout: float,
                      progress: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
    """Poll the job on `target` until it has caught up, then end it: switch the guest to the job's
    result (pivot) or, with pivot=False, leave the destination as a consistent copy of that moment.
    `what` names the job in messages ("copy of", "commit of"). Stopped on request (virt.stopping):
    the job is cancelled and the disk stays as it was."""
    deadline = time.monotonic() + timeout
    while True:
        info = domain.blockJobInfo(target, 0)
        if not info:
            raise BlockJobError(f"The {what} {target} stopped before it finished.")
        if progress is not None:
            progress(info["cur"], info["end"])
        if info["end"] and info["cur"] == info["end"]:
            try:
                domain.blockJobAbort(target, libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT if pivot else 0)
                return
            except libvirt.libvirtError as error:
                if "not ready" not in str(error) and "ready for pivot" not in str(error):
                    raise
        if time.monotonic() >= deadline:
            raise BlockJobError(f"The {what} {target} did not finish within {timeout:g} s.")
        try:
            stopping.sleep(0.2)
        except stopping.Stopped:
            abort(domain, target)
            raise stopping.Stopped(
                f"the {what} {target} was cancelled; the guest still uses its disk as before"
            ) from None


def abort(domain: libvirt.virDomain, target: str) -> None:
    """Cancel the block job on `target`, if there is one."""
    try:
        domain.blockJobAbort(target, 0)
    except libvirt.libvirtError:
        pass  # no job left to abort
