"""Bad input, property-based (hypothesis), for the disk and network interface forms: hostile
volume choices, buses, device names, sizes, bridges and models either give readable errors or
data that follows the console's rules. Through the views: never a 500, nothing half-applied."""

import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from instances.disks.forms import AttachDiskForm, GrowDiskForm, MediaForm
from instances.nics.forms import AttachNicForm
from storage.forms import MAX_BYTES
from tests.forms.support import (
    assert_refused_readably,
    examples,
    hostile_text,
    number_text,
    optional_fields,
    post_unchanged,
    unit,
)
from virt.disks import BUSES
from virt.nics import MODELS
from virt.xml.edit import PREFIX_BY_BUS

pytestmark = pytest.mark.django_db

DISKS = [{"target": "vda", "device": "disk", "bus": "virtio", "source": "/var/lib/libvirt/images/disk1.qcow2"},
         {"target": "hdc", "device": "cdrom", "bus": "ide", "source": ""}]  # fmt: skip
MAC = "52:54:00:12:34:56"
volume_choice = st.one_of(st.sampled_from(["default/tiny.raw", "default/disk1.qcow2", "default/", "/tiny.raw"]),
                          hostile_text)  # fmt: skip
device_name = st.one_of(
    st.sampled_from(["vda", "vdb", "vdz", "vdaa", "sdb", "hdd", "xvdb", "VDB", "vd1"]), hostile_text
)


@pytest.fixture
def instance(world):
    instance = world["instance"]
    nics = [{"mac": MAC, "type": "network", "source": "default", "model": "virtio", "link": "up"}]
    instance.details = {"disks": DISKS, "interfaces": nics}
    instance.save()
    return instance


@examples(150)
@given(data=optional_fields(volume=volume_choice, bus=st.one_of(st.sampled_from(BUSES), hostile_text),
                            target=device_name))  # fmt: skip
def test_attach_volume(admin_client, instance, data):
    form = AttachDiskForm(data, instance=instance)
    if not form.is_valid():
        assert_refused_readably(form)
    else:
        params = form.params()
        assert (params["pool"], params["volume"]) == ("default", "tiny.raw")  # the only free volume
        assert params["bus"] in BUSES
        target = params["target"]
        assert target == "" or (re.fullmatch(PREFIX_BY_BUS[params["bus"]] + "[a-z]+", target) and target != "vda")
    post_unchanged(admin_client, reverse("disk-attach", args=[instance.pk]), data)


@examples(150)
@given(data=optional_fields(size=number_text, unit=unit))
def test_grow(admin_client, instance, data):
    form = GrowDiskForm(data, current=2 * 1024**3)
    if not form.is_valid():
        assert_refused_readably(form)
    else:
        assert 2 * 1024**3 < form.params()["capacity"] <= MAX_BYTES
    post_unchanged(admin_client, reverse("disk-grow", args=[instance.pk, "vda"]), data)


@examples(80)
@given(data=optional_fields(volume=volume_choice))
def test_media(admin_client, instance, data):
    form = MediaForm(data, instance=instance)
    if not form.is_valid():
        assert_refused_readably(form)
    else:
        assert form.params() in ({}, {"pool": "default", "volume": "tiny.raw"})
    post_unchanged(admin_client, reverse("disk-media", args=[instance.pk, "hdc"]), data)


@examples(150)
@given(data=optional_fields(network=st.one_of(st.sampled_from(["default", "isolated", "missing"]), hostile_text),
                            bridge=st.one_of(st.sampled_from(["br0", "virbr0", "a" * 15, "a" * 16]), hostile_text),
                            model=st.one_of(st.sampled_from(MODELS), hostile_text)))  # fmt: skip
def test_attach_interface(admin_client, instance, data):
    form = AttachNicForm(data, instance=instance)
    if not form.is_valid():
        assert_refused_readably(form)
    else:
        params = form.params()
        assert params["type"] in ("network", "bridge") and params["model"] in MODELS
        if params["type"] == "network":
            assert params["source"] in ("default", "isolated")
        else:
            assert re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", params["source"])
    post_unchanged(admin_client, reverse("interface-attach", args=[instance.pk]), data)
