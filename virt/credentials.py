"""Credentials for opening a connection: a password for libvirt's auth callback, or an SSH
private key handed to the ssh transport as a private file that lives only while opening."""

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

import libvirt

from virt.uri import with_params


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    ssh_key: str = ""

    def __repr__(self) -> str:  # never print secrets, not even in a traceback
        return f"Credentials(username={self.username!r}, password={'***' if self.password else ''}, ssh_key=...)"


def auth_callback(credentials: Credentials | None) -> list:
    """The `auth` argument of libvirt.openAuth: answers username and password prompts."""

    def answer(creds, _opaque):
        for cred in creds:
            if cred[0] == libvirt.VIR_CRED_AUTHNAME:
                cred[4] = credentials.username if credentials else ""
            elif cred[0] == libvirt.VIR_CRED_PASSPHRASE:
                cred[4] = credentials.password if credentials else ""
            else:
                return -1
        return 0

    return [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], answer, None]


@contextmanager
def uri_with_key(uri: str, credentials: Credentials | None):
    """The URI to open: with `keyfile=` pointing at a 0600 copy of the key while the block runs."""
    if credentials is None or not credentials.ssh_key:
        yield uri
        return
    folder = tempfile.mkdtemp(prefix="lvc-key-")
    path = os.path.join(folder, "id")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(credentials.ssh_key.strip() + "\n")
        yield with_params(uri, keyfile=path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(folder)
