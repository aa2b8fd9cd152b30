"""The QEMU guest agent of a running guest (through Guest's intent methods): is it answering,
freeze and thaw the guest's filesystems (quiesce), set a user's password. Agent errors come out
naming the guest (virt.errors.AgentUnavailable when the agent is missing, not running or not
answering)."""

import functools
import time

import libvirt
import libvirt_qemu

from virt.errors import AgentUnavailable, VirtError, translate

PING_TIMEOUT = 5  # seconds libvirt waits for one guest-ping answer
_NOT_ANSWERING = {libvirt.VIR_ERR_AGENT_UNRESPONSIVE} | (
    {libvirt.VIR_ERR_AGENT_COMMAND_TIMEOUT} if hasattr(libvirt, "VIR_ERR_AGENT_COMMAND_TIMEOUT") else set()
)


class AgentNotConfigured(AgentUnavailable):
    """The domain has no guest agent channel: no agent can ever answer until it gets one."""


def _translate(error: libvirt.libvirtError, name: str) -> VirtError:
    code, detail = error.get_error_code(), error.get_error_message() or str(error)
    if code in _NOT_ANSWERING:
        return AgentUnavailable(
            f"The guest agent of {name} is not answering: is qemu-guest-agent running in the guest?", detail=detail
        )
    if "not configured" in detail and "agent" in detail:
        return AgentNotConfigured(
            f"{name} has no guest agent channel (org.qemu.guest_agent.0): its definition needs one.", detail=detail
        )
    if "failed to set user password" in detail:
        return VirtError(
            f"The guest agent of {name} could not set the password: chpasswd failed in the guest "
            "(does the user exist?).",
            detail=detail,
        )
    if "frozen" in detail:
        return VirtError(f"The filesystems of {name} are frozen: unquiesce it first.", detail=detail)
    return translate(error)


def _agent_call(func):
    """Decorator: libvirt errors of an agent call come out translated, naming the guest."""

    @functools.wraps(func)
    def wrapper(domain: libvirt.virDomain, *args, **kwargs):
        try:
            return func(domain, *args, **kwargs)
        except libvirt.libvirtError as error:
            raise _translate(error, domain.name()) from None

    return wrapper


@_agent_call
def ping(domain: libvirt.virDomain) -> None:
    """Returns when the agent answers a guest-ping; AgentUnavailable when it does not."""
    libvirt_qemu.qemuAgentCommand(domain, '{"execute": "guest-ping"}', PING_TIMEOUT, 0)


def wait_until_answering(domain: libvirt.virDomain, *, timeout: float, interval: float = 1) -> None:
    """Ping until the agent answers (a guest that just booted starts it late); the last
    AgentUnavailable when `timeout` passed first. A guest without the channel fails at once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return ping(domain)
        except AgentNotConfigured:
            raise
        except AgentUnavailable:
            if time.monotonic() + interval > deadline:
                raise
        time.sleep(interval)


@_agent_call
def quiesce(domain: libvirt.virDomain) -> int:
    """Freeze every filesystem of the guest (fsfreeze); returns how many were frozen."""
    return domain.fsFreeze(None, 0)


@_agent_call
def unquiesce(domain: libvirt.virDomain) -> int:
    """Thaw every frozen filesystem; returns how many were thawed (a mountpoint list is unsupported)."""
    return domain.fsThaw(None, 0)


@_agent_call
def set_password(domain: libvirt.virDomain, user: str, password: str) -> None:
    """Set `user`'s password in the guest (the agent runs chpasswd there)."""
    domain.setUserPassword(user, password, 0)
