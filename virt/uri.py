"""libvirt URIs: which transport they use, whether they name a remote host, and checks on them."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from virt.errors import InvalidURI

DRIVERS = {"qemu", "lxc", "test"}
TRANSPORTS = {"": "local", "unix": "local", "ssh": "ssh", "libssh": "ssh", "libssh2": "ssh", "tcp": "tcp", "tls": "tls"}

# The query parameters a user may give, per transport, and their values. libvirt reads more, but
# those name programs, sockets or files of the console's machine, or turn a check off (keyfile is
# added by virt.credentials from the host's stored key; private test daemons' socket= URIs are
# made in code, never typed).
_MODE = {"mode": {"auto", "legacy", "direct"}}  # which daemon answers: libvirtd or virtqemud
_LIBSSH = {**_MODE, "sshauth": {"agent", "privkey", "password", "keyboard-interactive"},
           "known_hosts_verify": {"normal", "auto"}}  # fmt: skip
USER_PARAMS = {"": _MODE, "unix": _MODE, "ssh": {**_MODE, "no_tty": {"0", "1"}}, "libssh": _LIBSSH, "libssh2": _LIBSSH}
REFUSED_PARAMS = {
    "command": "it runs a program on the console's machine",
    "socket": "it names a socket that is not the daemon's",
    "netcat": "it names the program run on the host",
    "proxy": "it chooses the program run on the host",
    "keyfile": "it reads a file of the console's machine: give the key as the host's SSH key credential",
    "known_hosts": "it reads and writes a file of the console's machine",
    "pkipath": "it reads certificates from a folder of the console's machine",
    "no_verify": "it turns off the check of the host's certificate",
    "name": "it opens another driver on the host than the URI says",
    "tls_priority": "it changes the TLS ciphers the console accepts",
}


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


def check_user_params(uri: str) -> None:
    """InvalidURI naming the first query parameter of `uri` a user may not give for its transport."""
    parts = urlsplit(uri)
    if parts.fragment:
        raise InvalidURI("A libvirt URI has no #fragment")
    driver, _, transport = parts.scheme.partition("+")
    allowed = {} if driver == "test" else USER_PARAMS.get(transport, {})
    seen = set()
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in REFUSED_PARAMS:  # libvirt reads names in any case
            raise InvalidURI(f"The URI parameter {name!r} is not accepted: {REFUSED_PARAMS[name.lower()]}")
        if name not in allowed:
            offered = ", ".join(sorted(allowed)) or "none"
            raise InvalidURI(
                f"The URI parameter {name!r} is not one a {parts.scheme} URI takes here (allowed: {offered})"
            )
        if name in seen:
            raise InvalidURI(f"The URI parameter {name!r} is given twice")
        seen.add(name)
        if (name, value) == ("known_hosts_verify", "ignore"):
            raise InvalidURI(
                f"The URI parameter {name}={value} is not accepted: it turns off the check of the host's key"
            )
        values = value.split(",") if name == "sshauth" else [value]
        if not value or not set(values) <= allowed[name]:
            raise InvalidURI(f"The URI parameter {name!r} takes {' or '.join(sorted(allowed[name]))}, not {value!r}")
