"""Examples of request bodies for the API reference (OpenAPI `examples`), one list per endpoint."""

from drf_spectacular.utils import OpenApiExample


def _request(summary: str, value: dict) -> OpenApiExample:
    return OpenApiExample(summary, value=value, request_only=True)


CREATE = [
    _request("A small web server", {"host": 1, "name": "web-1", "flavor": 2, "image": 1, "networks": ["default"],
                                    "ssh_keys": "ssh-ed25519 AAAAC3Nza... admin@laptop"}),
    _request("Defined but not started", {"host": 1, "name": "build-7", "flavor": 1, "image": 1, "start": False}),
]  # fmt: skip
ACTION = [
    _request("Start (no params)", {}),
    _request("Rebuild from another image", {"params": {"image": 3}}),
    _request("Live-migrate (migrate)", {"params": {"destination": 2, "bandwidth_mib": 100}}),
    _request("Resize onto another host (resize)", {"params": {"flavor": 4, "destination": 2}}),
]
DEVICE = [
    _request("Attach a NIC on a network (attach-interface)", {"params": {"network": "default", "model": "virtio"}}),
    _request("Grow a disk (grow-disk)", {"device": "vda", "params": {"size": 20, "unit": "GiB"}}),
    _request("Unplug a NIC's cable (link-down)", {"device": "52:54:00:12:34:56"}),
]
HOST_ACTION = [
    _request("A new volume (volume-create)",
             {"pool": "default", "params": {"name": "data.qcow2", "size": 10, "unit": "GiB", "format": "qcow2"}}),
    _request("Start a network (network-start)", {"name": "default"}),
    _request("Evacuate a host that is down (evacuate)", {"params": {"really_off": True, "from_image": False}}),
]  # fmt: skip
SNAPSHOT = [_request("Before an upgrade", {"name": "before-upgrade", "description": "kernel 6.12"})]
CONSOLE = [_request("One VNC ticket", {"channels": 1})]
GRANT = [_request("Operator of one host", {"role": "operator", "user": 4, "host": 2})]
HOST = [
    _request("Over SSH with a key", {"name": "kvm-07", "uri": "qemu+ssh://root@kvm-07/system",
                                     "credential_kind": "ssh_key", "username": "root",
                                     "secret": "-----BEGIN OPENSSH PRIVATE KEY-----\n..."}),
]  # fmt: skip
