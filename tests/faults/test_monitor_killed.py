"""The monitor (`manage.py monitor`, a real process) killed with SIGKILL while guests change under
it: nothing notices meanwhile, and once it is started again the database agrees with virsh."""

import libvirt
import pytest

from instances.models import Instance, InstanceState
from tests.support.processes import ManagedProcess, process_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.qemu
VIRSH_STATES = {libvirt.VIR_DOMAIN_RUNNING: InstanceState.RUNNING, libvirt.VIR_DOMAIN_SHUTOFF: InstanceState.SHUTOFF}


def monitor_process(tmp_path) -> ManagedProcess:
    return ManagedProcess("monitor", log_path=tmp_path / "monitor.log", env=process_env(MONITOR_INTERVAL="1")).start()


def test_a_monitor_killed_and_started_again_catches_up_with_virsh(spawn, qemu_host, qemu_conn, tmp_path):
    to_stop, to_start = spawn(), spawn(start=False)
    instances = [to_stop, to_start]

    def database_agrees_with_virsh() -> bool:
        virsh = [VIRSH_STATES.get(qemu_conn.lookupByName(i.name).state()[0]) for i in instances]
        return [Instance.objects.get(pk=i.pk).state for i in instances] == virsh

    monitor = monitor_process(tmp_path)
    try:
        qemu_conn.lookupByName(to_stop.name).suspend()  # the running monitor sees it at once
        wait_until(lambda: Instance.objects.get(pk=to_stop.pk).state == InstanceState.PAUSED, timeout=30,
                   what=lambda: f"the monitor seeing a pause:\n{monitor.log()[-2000:]}")  # fmt: skip
        qemu_conn.lookupByName(to_stop.name).resume()
        wait_until(database_agrees_with_virsh, timeout=30, what="the monitor seeing the resume")
        monitor.kill()

        qemu_conn.lookupByName(to_stop.name).destroy()  # out of band, while no monitor watches
        qemu_conn.lookupByName(to_start.name).create()
        assert not database_agrees_with_virsh()  # nobody noticed

        monitor = monitor_process(tmp_path)
        wait_until(database_agrees_with_virsh, timeout=30,
                   what=lambda: f"the database agreeing with virsh:\n{monitor.log()[-2000:]}")  # fmt: skip
    finally:
        monitor.stop()
    assert [Instance.objects.get(pk=i.pk).state for i in instances] == [InstanceState.SHUTOFF, InstanceState.RUNNING]
