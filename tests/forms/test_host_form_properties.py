"""Bad input, property-based (hypothesis), for the host form: hostile names, huge and
malformed values, unicode, XML metacharacters and missing fields either give readable errors or
data that follows the console's rules. Through the views: never a 500, nothing half-applied."""

import ipaddress
import re
import unicodedata

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from hosts.credentials import CredentialKind
from hosts.forms import HostForm
from tests.forms.support import (
    assert_refused_readably,
    boolean_text,
    examples,
    form_errors,
    hostile_text,
    name_like,
    optional_fields,
    post_unchanged,
)
from virt.uri import validate_uri

pytestmark = pytest.mark.django_db


# --- Hosts -----------------------------------------------------------------------------------------

uri_text = st.one_of(
    st.sampled_from(
        [
            "test:///default",
            "qemu:///system",
            "qemu+ssh://root@h/system",
            "qemu+tls://h.example/system",
            "lxc:///",
            "qemu+ssh://[::1]/system",
            "qemu+ssh://[h/system",
            "qemu+ssh://h]/system",
            "qemu+ssh://ｈｏｓｔ/system",
            "qemu+ssh://ho\uff0fst/system",
            "qemu+tcp://h:99999/system",
            "qemu+ssh://h:port/system",
            "xen:///",
            "qemu:///system/../../etc",
            "qemu://",
            "test://",
            "qemu+ext:///system?command=/bin/sh",
            "test:///default\x00",
            " qemu:///session ",
        ]
    ),
    st.builds(
        lambda scheme, rest: f"{scheme}://{rest}", st.sampled_from(["qemu+ssh", "test", "qemu", "lxc"]), hostile_text
    ),
    hostile_text,
)
host_data = optional_fields(
    name=st.one_of(name_like, st.just("alpha")),
    uri=uri_text,
    console_address=st.one_of(
        st.sampled_from(
            ["", "192.0.2.1", "::1", "[::1]", "console.example.org", "ß.example", "a b;rm", "fe80::1%eth0", "٣.٣.٣.٣"]
        ),
        hostile_text,
    ),
    resume_guests=boolean_text,
    credential_kind=st.one_of(st.sampled_from(CredentialKind.values), hostile_text),
    username=name_like,
    secret=st.one_of(
        st.just("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), hostile_text
    ),
)


def check_host_form(form) -> None:
    if not form.is_valid():
        return assert_refused_readably(form)
    data = form.cleaned_data
    name = data["name"]
    assert name and len(name) <= 100 and name == name.strip() and all(unicodedata.category(ch) != "Cc" for ch in name)
    assert validate_uri(data["uri"]) == data["uri"]
    address = data["console_address"]
    if address and not re.fullmatch(r"[A-Za-z0-9.-]+", address):
        ipaddress.ip_address(address)
    assert data["credential_kind"] in CredentialKind.values
    if data["credential_kind"] != CredentialKind.NONE:
        assert data["secret"]


@examples(400)
@given(data=host_data)
def test_host_form(world, data):
    check_host_form(HostForm(data))


@examples(120)
@given(data=host_data)
def test_host_form_when_editing(world, data):
    check_host_form(HostForm(data, instance=world["alpha"]))


@examples(100)
@given(data=host_data)
def test_host_add_and_edit_views(admin_client, world, data):
    for url in (reverse("host-add"), reverse("host-edit", args=[world["alpha"].pk])):
        post_unchanged(admin_client, url, data)


@pytest.mark.parametrize("uri", ["qemu+ssh://[host/system", "test://[::1/default", "qemu+ssh://ho\uff0fst/system"])
def test_regression_a_uri_urlsplit_cannot_read_is_a_form_error_not_a_500(admin_client, uri):
    """Was: urlsplit's ValueError (unbalanced brackets, NFKC-changed host) escaped the form: a 500."""
    form = HostForm({"name": "x", "uri": uri, "credential_kind": "none"})
    assert not form.is_valid() and "not a URI libvirt can use" in form.errors["uri"][0]
    response = post_unchanged(admin_client, reverse("host-add"), {"name": "x", "uri": uri, "credential_kind": "none"})
    assert response.status_code == 200 and "uri" in form_errors(response)


@pytest.mark.parametrize("address", ["ß.example", "[::1]", "٣.٣.٣.٣", "a:b", "host]"])
def test_regression_a_console_address_the_guest_definition_refuses_is_refused(world, address):
    """Was: any unicode letter/digit and ':[]' passed, so spawning on the host later failed in virt.policy."""
    form = HostForm({"name": "x", "uri": "lxc:///", "credential_kind": "none", "console_address": address})
    assert not form.is_valid() and "host name or an IP" in form.errors["console_address"][0]


@pytest.mark.parametrize("name", ["bad\x7fname", "bad\x85name", "bad\x9bname"])
def test_regression_a_host_name_with_del_or_c1_controls_is_refused(world, name):
    """Was: only C0 controls (< 32) were refused, though the message says 'control characters'."""
    form = HostForm({"name": name, "uri": "lxc:///", "credential_kind": "none"})
    assert not form.is_valid() and "control characters" in form.errors["name"][0]


@pytest.mark.parametrize("address", ["192.0.2.1", "::1", "console.example.org", "fe80::1"])
def test_console_addresses_that_libvirt_accepts_still_pass(world, address):
    assert HostForm({"name": "x", "uri": "lxc:///", "credential_kind": "none", "console_address": address}).is_valid()
