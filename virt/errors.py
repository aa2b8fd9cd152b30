"""libvirt errors translated, in one place, into exceptions whose message an admin can act on."""

import functools

import libvirt


class VirtError(Exception):
    """A libvirt operation failed; str() is a message for the admin, `detail` is libvirt's own."""

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.detail = detail


class HostUnreachable(VirtError):
    pass


class HostSystemError(VirtError):
    """The host answered, but a file or system call failed there (a missing directory, a denied
    permission, a full disk): not a connection problem."""


class AuthenticationFailed(VirtError):
    pass


class InvalidURI(VirtError):
    pass


class NotFound(VirtError):
    pass


class InvalidOperation(VirtError):
    pass


class Unsupported(VirtError):
    pass


class AgentUnavailable(VirtError):
    """The guest agent is not configured, not running or not answering (see virt.agent)."""


_NOT_FOUND = {
    libvirt.VIR_ERR_NO_DOMAIN: "No such instance on this host",
    libvirt.VIR_ERR_NO_NETWORK: "No such network on this host",
    libvirt.VIR_ERR_NO_STORAGE_POOL: "No such storage pool on this host",
    libvirt.VIR_ERR_NO_STORAGE_VOL: "No such volume on this host",
    libvirt.VIR_ERR_NO_NWFILTER: "No such network filter on this host",
    libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT: "No such snapshot",
}
_UNREACHABLE = {libvirt.VIR_ERR_NO_CONNECT, libvirt.VIR_ERR_RPC}
# Where a system error means the connection failed; from anywhere else (storage, qemu...) the host
# answered and a file or system call failed there.
_CONNECTION_DOMAINS = {libvirt.VIR_FROM_RPC, libvirt.VIR_FROM_REMOTE, libvirt.VIR_FROM_SSH, libvirt.VIR_FROM_LIBSSH}
_AUTH = {libvirt.VIR_ERR_AUTH_FAILED, libvirt.VIR_ERR_AUTH_CANCELLED, libvirt.VIR_ERR_AUTH_UNAVAILABLE}


def translate(error: libvirt.libvirtError, *, uri: str = "") -> VirtError:
    """Map a libvirtError to our exception type with an actionable message."""
    code = error.get_error_code()
    detail = error.get_error_message() or str(error)
    where = f" ({uri})" if uri else ""
    if code in _NOT_FOUND:
        return NotFound(_NOT_FOUND[code], detail=detail)
    if code in _AUTH:
        return AuthenticationFailed(f"Authentication to the host failed{where}: {detail}", detail=detail)
    if code == libvirt.VIR_ERR_INVALID_ARG and "uri" in detail.lower():
        return InvalidURI(f"The host URI is not valid{where}: {detail}", detail=detail)
    if code == libvirt.VIR_ERR_AGENT_UNRESPONSIVE:
        return AgentUnavailable(f"The guest agent is not answering: {detail}", detail=detail)
    domain = error.get_error_domain()
    system = code == libvirt.VIR_ERR_SYSTEM_ERROR
    if code in _UNREACHABLE or domain == libvirt.VIR_FROM_RPC or (system and domain in _CONNECTION_DOMAINS):
        return HostUnreachable(f"Host unreachable{where}: {detail}", detail=detail)
    if system:
        return HostSystemError(f"File or system error on the host{where}: {detail}", detail=detail)
    if code == libvirt.VIR_ERR_OPERATION_INVALID:
        return InvalidOperation(f"Not possible in the current state: {detail}", detail=detail)
    if code in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED):
        return Unsupported(f"Not supported by this host: {detail}", detail=detail)
    return VirtError(f"libvirt error{where}: {detail}", detail=detail)


def translated(func):
    """Decorator: libvirt errors raised by `func` come out as our VirtError kinds, so callers
    outside virt/ never see (or import) libvirt."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except libvirt.libvirtError as error:
            raise translate(error) from None

    return wrapper
