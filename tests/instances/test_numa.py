"""NUMA and CPU pinning on the real host: a flavor that fits gives a running TCG guest whose vCPU
is pinned (as `virsh vcpupin` shows) with valid XML; flavors that do not fit fail saying why and
leave nothing behind."""

import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from instances.models import Flavor, Instance
from jobs.models import Operation
from tests.support.guest import MARKER
from tests.support.instances import guest_of, instance_volumes

pytestmark = pytest.mark.qemu
PINNED = {"hw:cpu_policy": "dedicated", "hw:emulator_threads_policy": "isolate", "hw:numa_nodes": "1",
          "hw:numa_mempolicy": "strict", "hw:numa_nodeset": "0"}  # fmt: skip


def virsh(*args: str) -> str:
    return subprocess.run(["virsh", "-c", "qemu:///system", *args], check=True, capture_output=True, text=True,
                          timeout=30).stdout  # fmt: skip


def table(text: str) -> dict[str, str]:
    """The rows of a `virsh vcpupin` / `emulatorpin` table as {first column: second column}."""
    rows = [line.split(None, 1) for line in text.splitlines()[2:] if line.strip()]
    return {row[0].rstrip(":"): row[1].strip() for row in rows if len(row) == 2}


def flavor(name: str, vcpus: int = 1, **extra_specs) -> Flavor:
    return Flavor.objects.create(name=name, vcpus=vcpus, memory_mib=128, disk_gib=1, extra_specs=extra_specs)


def test_a_pinned_numa_guest_runs_with_its_vcpu_on_cpu_0(spawn, qemu_conn, admin_user, tmp_path):
    instance = spawn(flavor=flavor("pinned", **PINNED))
    guest_of(qemu_conn, instance).wait_for_serial(MARKER, timeout=90)

    assert table(virsh("vcpupin", instance.name)) == {"0": "0"}
    assert table(virsh("emulatorpin", instance.name)) == {"*": "1"}
    numatune = virsh("numatune", instance.name)
    assert "numa_mode      : strict" in numatune and "numa_nodeset   : 0" in numatune

    inactive = tmp_path / "domain.xml"
    inactive.write_text(qemu_conn.lookupByName(instance.name).XMLDesc(2))  # VIR_DOMAIN_XML_INACTIVE
    result = subprocess.run(["virt-xml-validate", str(inactive), "domain"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "<cell id='0' cpus='0' memory='131072' unit='KiB'/>" in inactive.read_text()

    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("instance-detail", args=[instance.pk])).content.decode()
    assert "vCPU 0 → CPU 0" in page and "Emulator threads</dt><dd>CPU 1" in page
    assert "cell 0: vCPU 0, 128 MiB" in page and "strict on host node 0" in page


@pytest.mark.parametrize(
    ("vcpus", "specs", "message"),
    [
        (3, {"hw:cpu_policy": "dedicated"}, "3 dedicated vCPUs do not fit: the host has 2 CPUs (0-1) on NUMA node 0"),
        (1, {"hw:numa_nodes": "1", "hw:numa_nodeset": "5"}, "the host has no NUMA node 5 (it has node 0)"),
    ],
    ids=["three-dedicated-vcpus", "node-5"],
)
def test_a_flavor_that_does_not_fit_fails_clearly_and_leaves_nothing(spawn, qemu_conn, vcpus, specs, message):
    before = {domain.name() for domain in qemu_conn.listAllDomains(0)}
    volumes_before = set(instance_volumes(qemu_conn, ""))
    assert spawn(flavor=flavor("too-big", vcpus, **specs), expect="failed") is None
    op = Operation.objects.get(kind="instance.spawn")
    assert op.error == f"The flavor's extra specs do not fit: {message}"
    assert Instance.objects.count() == 0
    assert set(instance_volumes(qemu_conn, "")) == volumes_before
    assert {domain.name() for domain in qemu_conn.listAllDomains(0)} == before


def test_dedicated_cpus_are_not_given_twice(spawn, qemu_conn):
    dedicated = flavor("dedicated", **{"hw:cpu_policy": "dedicated"})
    first, second = spawn(flavor=dedicated), spawn(flavor=dedicated)
    assert table(virsh("vcpupin", first.name)) == {"0": "0"}
    assert table(virsh("vcpupin", second.name)) == {"0": "1"}
    assert spawn(flavor=dedicated, expect="failed") is None
    error = Operation.objects.filter(kind="instance.spawn", status="failed").get().error
    assert error.endswith("1 dedicated vCPU does not fit: the host has 2 CPUs (0-1) on NUMA node 0, 2 of them (0-1) "
                          "dedicated to other instances")  # fmt: skip
