"""Thread priority: background threads that only keep records (a monitor's readers, a job's
progress writer) yield the CPU to the work they describe (libvirtd and QEMU on a busy host)."""

import os
import threading


def lower_priority(nice: int) -> None:
    """Make the calling thread (and the threads it starts) `nice` steps kinder to the rest of the
    machine: Linux keeps a nice value per thread and the scheduler shares CPU per thread."""
    if nice:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + nice)
