"""libvirt URIs: which transport they use, whether they name a remote host, and checks on them."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from virt.errors import InvalidURI

DRIVERS = {"qemu", "lxc", "test"}
TRANSPORTS = {"": "local", "unix": "local", "ssh": "ssh", "libssh": "ssh", "libssh2": "ssh", "tcp": "tcp", "tls": "tls"}


def transport_of(uri: str) -> str:
    """local, ssh, tcp, tls, test or lxc."""
    driver, _, transport = urlsplit(uri).scheme.partition("+")
    if driver == "test":
        return "test"
    if driver == "lxc" and not transport:
        return "lxc"
    return TRANSPORTS.get(transport, transport)


def is_local_uri(uri: str) -> bool:
    """True when the URI names no remote host (qemu:///system, qemu+unix:///system, test:///default)."""
    return not urlsplit(uri).netloc


def remote_host(uri: str) -> str:
    """The host name or address in the URI, '' for a local one."""
    return urlsplit(uri).hostname or ""


def validate_uri(uri: str) -> str:
    """The URI, stripped, if it is one libvirt can use; InvalidURI with the reason otherwise."""
    uri = uri.strip()
    if not uri or any(ch.isspace() or ord(ch) < 32 for ch in uri):
        raise InvalidURI("A libvirt URI has no spaces or control characters, e.g. qemu+ssh://root@host/system")
    parts = urlsplit(uri)
    driver, _, transport = parts.scheme.partition("+")
    if driver not in DRIVERS:
        raise InvalidURI(f"Unknown hypervisor driver {driver or '(none)'!r}: use qemu, lxc or test")
    if transport not in TRANSPORTS:
        raise InvalidURI(f"Unknown transport {transport!r}: use ssh, libssh, libssh2, tcp, tls or unix")
    if TRANSPORTS[transport] in ("ssh", "tcp", "tls") and not parts.hostname:
        raise InvalidURI(f"A {transport} URI names the host, e.g. {driver}+{transport}://host/system")
    if driver == "qemu" and parts.path not in ("/system", "/session"):
        raise InvalidURI("A qemu URI ends in /system or /session")
    return uri


def with_params(uri: str, **params: str) -> str:
    """The URI with query parameters added (or replaced)."""
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))
