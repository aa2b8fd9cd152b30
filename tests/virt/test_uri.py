"""libvirt URIs: transport, local or remote, validation with a reason."""

import pytest

from virt.errors import InvalidURI
from virt.uri import is_local_uri, transport_of, validate_uri, with_params


@pytest.mark.parametrize(
    "uri",
    ["qemu:///system", "qemu:///session", "lxc:///", "test:///default", "qemu+unix:///system", "qemu:///system?x=1"],
)
def test_uris_without_a_host_are_local(uri):
    assert is_local_uri(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "qemu+ssh://host/system",
        "qemu+ssh://root@host.example.com:2222/system",
        "qemu+tcp://1.2.3.4/system",
        "qemu+tls://[2001:db8::1]/system",
        "qemu://remote/system",
    ],
)
def test_uris_naming_a_host_are_remote(uri):
    assert not is_local_uri(uri)


@pytest.mark.parametrize(
    ("uri", "transport"),
    [
        ("qemu:///system", "local"),
        ("qemu+unix:///system", "local"),
        ("qemu+ssh://root@host/system", "ssh"),
        ("qemu+libssh2://root@host/system", "ssh"),
        ("qemu+tcp://10.0.0.1/system", "tcp"),
        ("qemu+tls://host/system", "tls"),
        ("test:///default", "test"),
        ("lxc:///", "lxc"),
    ],
)
def test_transport_is_read_from_the_scheme(uri, transport):
    assert transport_of(uri) == transport


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("", "no spaces"),
        ("qemu:///system extra", "no spaces"),
        ("qemu:///sys\ntem", "no spaces"),
        ("xen:///system", "Unknown hypervisor driver 'xen'"),
        ("http://example.com/", "Unknown hypervisor driver 'http'"),
        ("qemu+carrier://host/system", "Unknown transport 'carrier'"),
        ("qemu+ssh:///system", "names the host"),
        ("qemu+ssh://host/bogus", "ends in /system or /session"),
        ("<script>alert(1)</script>", "Unknown hypervisor driver"),
    ],
)
def test_bad_uris_are_refused_with_the_reason(uri, reason):
    with pytest.raises(InvalidURI, match=reason):
        validate_uri(uri)


def test_good_uris_pass_stripped():
    assert (
        validate_uri("  qemu+ssh://root@host:2222/system?keyfile=/k  ") == "qemu+ssh://root@host:2222/system?keyfile=/k"
    )
    assert validate_uri("test:///default") == "test:///default"


def test_params_are_added_to_the_query():
    uri = with_params("qemu+ssh://root@host/system?no_tty=1", keyfile="/run/key")
    assert uri == "qemu+ssh://root@host/system?no_tty=1&keyfile=/run/key"
