"""Hosts on libvirt's test driver with the facts the monitor keeps (capabilities, resources,
networks), and an instance on one of them: what the migrate, resize and clone pages check from."""

import uuid

import pytest

from hosts.models import Host
from instances.models import Instance, InstanceState

__all__ = ["hosts", "instance"]  # the fixtures tests/instances/conftest.py takes

X86 = [{"os_type": "hvm", "arch": "x86_64", "domain_types": ["qemu"], "machines": ["pc", "pc-i440fx-7.2"]}]
FACTS = {"capabilities": {"uuid": "", "guest_types": X86},
         "resources": {"memory_total_mib": 4096, "vcpus_total": 4}}  # fmt: skip


def fact_host(name: str, *, status="up", networks=("default",), **facts) -> Host:
    inventory = {"networks": [{"name": net, "active": True} for net in networks]}
    return Host.objects.create(name=name, uri=f"test:///default?{name}", status=status, inventory=inventory,
                               **{**FACTS, **facts})  # fmt: skip


@pytest.fixture
def hosts(db):
    return {name: fact_host(name) for name in ("alpha", "beta", "gamma")}


@pytest.fixture
def instance(hosts):
    platform = {"domain_type": "qemu", "os_type": "hvm", "arch": "x86_64", "machine": "pc-i440fx-7.2"}
    nics = [{"type": "network", "source": "default", "mac": "52:54:00:00:00:01"}]
    details = {"vcpus": 1, "memory_mib": 512, "platform": platform, "interfaces": nics}
    return Instance.objects.create(host=hosts["alpha"], uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING,
                                   vcpus=1, memory_mib=512, details=details)  # fmt: skip
