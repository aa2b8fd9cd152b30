"""Host credentials at rest: encrypted with Fernet; the key comes from CREDENTIALS_KEY or, by
default, is derived from SECRET_KEY (so changing SECRET_KEY means entering them again)."""

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

from virt.credentials import Credentials


class CredentialKind(models.TextChoices):
    NONE = "none", "None (socket, Kerberos, TLS certificates or ssh-agent)"
    SSH_KEY = "ssh_key", "SSH private key"
    PASSWORD = "password", "Username and password"


class UnreadableSecret(Exception):
    """The stored secret cannot be decrypted (the key changed): enter it again."""


@cache
def _fernet() -> Fernet:
    if settings.CREDENTIALS_KEY:
        return Fernet(settings.CREDENTIALS_KEY.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"libvirt-console host credentials")
    return Fernet(base64.urlsafe_b64encode(derived.derive(settings.SECRET_KEY.encode())))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("The stored credential cannot be decrypted; edit the host and enter it again.") from None


def credentials_for(*, kind: str, username: str, secret_token: str) -> Credentials | None:
    """What virt/ needs to open the connection, from a host's stored (encrypted) fields."""
    if kind == CredentialKind.SSH_KEY:
        return Credentials(username=username, ssh_key=decrypt(secret_token))
    if kind == CredentialKind.PASSWORD:
        return Credentials(username=username, password=decrypt(secret_token))
    return None
