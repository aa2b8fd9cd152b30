"""What the form property tests share: hypothesis settings, hostile-input strategies, the
inventory the test hosts claim, and checks on answers."""

import base64
import re

from django.contrib.auth.models import User
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from accounts.models import Grant
from hosts.models import Host
from instances.models import Flavor, Instance
from jobs.models import Operation
from virt.names import NAME_RULE, check_name


def examples(n: int):
    """Hypothesis settings for these tests: n examples, no deadline, no example database on disk."""
    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- Strategies ------------------------------------------------------------------------------------

HOSTILE = [
    "", " ", "  padded  ", "'", '"', "`", "a'b\"c", "<script>alert(1)</script>", "<b>x</b>", "a&b", "&amp;", "&lt;",
    "&#0;", "&#x41;", "\x00", "a\x00b", "\x01\x02\x1f", "tab\there", "line\nbreak", "cr\rlf\r\n", "\x7f", "\x1b[31m",
    "\u202eevil\u202c", "\u200b", "\ufeffbom", "😀", "👨‍👩‍👧", "e\u0301\u0301\u0301", "مرحبا", "١٢٣", "ＡＢＣ", "ǅ",
    "../", "../../etc/passwd", "/../../etc", "/a/../b", "/./x", "//x", "/", "~root", "C:\\Windows", "a/b",
    "x" * 10_000, "é" * 10_000, "<" * 10_000, "a." * 60, "-", ".", "..", ".hidden", "a" * 100, "a" * 101,
    "]]>", "<![CDATA[x]]>", "<!-- -->", "<?xml version='1.0'?>", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    "%s%n", "{0}{1}", "${jndi:x}", "'; DROP TABLE hosts_host; --", "NULL", "None", "true", "0", "-1", "1e309",
    "NaN", "Infinity", "-Infinity", "99999999999999999999999999", "0x10", "１", "[::1", "[", "]",
]  # fmt: skip

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(alphabet="abc.-_/<>&;'\"\x00\x01 \n#%:?@[]!\u202e😀", max_size=30),
    st.builds(lambda char, n: char * n, st.sampled_from("a<&é\x00/"), st.integers(200, 10_500)),
)
valid_name = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,30}", fullmatch=True)
name_like = st.one_of(hostile_text, valid_name)
number_text = st.one_of(
    st.sampled_from(
        [
            "0",
            "-0",
            "-1",
            "-0.001",
            "0.0005",
            "0.001",
            "1",
            "1.5",
            "10",
            "999999999.999",
            "1E+11",
            "1e309",
            "NaN",
            "Infinity",
            "abc",
            "",
            " 1 ",
            "1,5",
            "１",
            "0x10",
            "2**64",
            "18446744073709551617",
            "16777216",
            "16777215.999",
            "1048576.001",
        ]
    ),
    st.integers(-(10**30), 10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats().map(str),
    hostile_text,
)
unit = st.one_of(st.sampled_from(["MiB", "GiB", "TiB"]), st.sampled_from(["KiB", "B", "mib", "", "PiB"]), hostile_text)
boolean_text = st.one_of(st.sampled_from(["on", "off", "true", "false", "1", "0", ""]), hostile_text)
ipv4_text = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.sampled_from(
        [
            "10.0.5.1",
            "10.0.5.0",
            "10.0.5.255",
            "192.168.122.1",
            "256.1.1.1",
            "10.0.5",
            "::1",
            "1.2.3.4/24",
            "010.000.005.001",
            "١٠.0.0.1",
            " 10.0.5.1 ",
        ]
    ),
    hostile_text,
)


def optional_fields(**fields):
    """A form's POST data with each field present or missing."""
    return st.fixed_dictionaries({}, optional=fields)


def messages_of(form) -> list[str]:
    return [message for errors in form.errors.values() for message in errors]


def assert_refused_readably(form) -> None:
    """An invalid form says why, in words."""
    messages = messages_of(form)
    assert messages, "an invalid form without any message"
    for message in messages:
        assert isinstance(message, str) and re.search(r"[A-Za-z]{3}", message), message
        assert "Traceback" not in message and "object at 0x" not in message, message


def assert_name_rule(name: str) -> None:
    assert check_name(name) == name, NAME_RULE


def no_control(text: str) -> bool:
    return not any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def ssh_key(kind: str = "ssh-ed25519", comment: str = "me@example") -> str:
    blob = len(kind).to_bytes(4, "big") + kind.encode() + (32).to_bytes(4, "big") + bytes(range(32))
    return f"{kind} {base64.b64encode(blob).decode()} {comment}".strip()


# --- The world the view tests run in ----------------------------------------------------------

GIB = 1024**3
POOLS = [{"name": "default", "path": "/var/lib/libvirt/images", "active": True,
          "volumes": [{"name": "disk1.qcow2", "capacity": GIB, "path": "/var/lib/libvirt/images/disk1.qcow2"},
                      {"name": "tiny.raw", "capacity": 16, "path": "/var/lib/libvirt/images/tiny.raw"}]}]  # fmt: skip
NETWORKS = [{"name": "default", "bridge": "virbr0", "active": True, "mode": "nat",
             "ips": [{"address": "192.168.122.1", "prefix": 24, "netmask": ""}]},
            {"name": "isolated", "bridge": "virbr1", "active": True, "mode": "isolated",
             "ips": [{"address": "10.9.0.1", "prefix": None, "netmask": "255.255.0.0"}]}]  # fmt: skip
FILTER_UUID = "7f0e8c27-3c4b-4f6a-9a41-1b9f0c5d2e11"
NWFILTERS = [{"name": "clean-traffic", "uuid": FILTER_UUID, "refs": [], "chain": "root", "priority": "", "rules": 0}]
INVENTORY = {"pools": POOLS, "networks": NETWORKS, "nwfilters": NWFILTERS}
TAKEN = ["default", "lvc-images", "disk1.qcow2", "tiny.raw", "clean-traffic", "web-1", "alpha"]


def counts() -> tuple[int, int, int, int, int, int]:
    return (Operation.objects.count(), Host.objects.count(), Instance.objects.count(), Grant.objects.count(),
            User.objects.count(), Flavor.objects.count())  # fmt: skip


def form_errors(response) -> dict:
    """The errors of the page's form when the answer is the form again, else {}."""
    if response.status_code != 200 or not response.context or "form" not in response.context:
        return {}
    form = response.context["form"]
    return dict(form.errors) if form is not None and form.is_bound else {}


def post_unchanged(client, url: str, data, **kwargs):
    """POST; never a 500, and (no job worker runs, so nothing can be queued) nothing changed."""
    before = counts()
    response = client.post(url, data, **kwargs)
    assert response.status_code in (200, 302)
    assert counts() == before, "a POST changed the database though nothing could be carried out"
    if errors := form_errors(response):
        assert all(re.search(r"[A-Za-z]{3}", message) for messages in errors.values() for message in messages)
    return response


# --- Choices that name objects ---------------------------------------------------------------

model_choice = st.one_of(
    st.sampled_from(["", "0", "-1", "1.5", "abc", "99999999999999999999999", "１", "1 OR 1=1", "[1]"]),
    st.integers(-5, 20).map(str),
    hostile_text,
)


def with_real_ids(data: dict, world: dict, ids: dict) -> dict:
    """Some examples name real objects (field -> key in `world`), so the rest of the form is what is tested."""
    return {**data, **{field: str(world[key].pk) for field, key in ids.items()}}


real_ids = st.fixed_dictionaries({}, optional={"host": st.sampled_from(["alpha", "beta"]),
                                               "flavor": st.just("flavor"), "image": st.just("image")})  # fmt: skip


FILTER_XML = [
    "<filter name='lvc-f1' chain='ipv4'><rule action='accept' direction='in'/></filter>",
    f"<filter name='clean-traffic'><uuid>{FILTER_UUID}</uuid></filter>",
    "<filter name='clean-traffic'><uuid>00000000-0000-0000-0000-000000000000</uuid></filter>",
    "<filter name='clean-traffic'/>",
    '<!DOCTYPE filter [<!ENTITY e "zz">]><filter name="a&e;"><rule action="accept" direction="in">&e;</rule></filter>',
    '<!DOCTYPE filter [<!ENTITY e "zz">]><filter name="ok"><uuid>&e;</uuid></filter>',
    '<!DOCTYPE filter [<!ENTITY x SYSTEM "file:///etc/passwd">]><filter name="x">&x;</filter>',
    '<!DOCTYPE filter SYSTEM "http://example.org/evil.dtd"><filter name="x"/>',
    '<!DOCTYPE f [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;'
    '&b;&b;&b;&b;">]><filter name="lol">&c;</filter>',
    "<?xml version='1.0' encoding='UTF-16'?><filter name='x'/>",
    "<?xml-stylesheet href='x'?><filter name='pi'/>",
    "<filter name='../../etc'/>", "<filter name='a b'/>", "<filter name=''/>", "<filter/>", "<domain name='x'/>",
    "<x:filter xmlns:x='urn:x' name='ns'/>", "<filter name='x'>", "<filter name='x'/><filter name='y'/>",
    "<filter name='x'><![CDATA[<rule/>]]></filter>", "<filter name='emoji😀'/>", "<filter name='x\u202e'/>",
    "<!-- c --><filter name='c'/>", "<filter name='x'>\x01</filter>", "<filter name='x'>\x00</filter>",
]  # fmt: skip
