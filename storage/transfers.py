"""Files on their way between a browser and a host: an upload into a volume, a volume's download,
a fetched console log. They live in the "transfers" storage (Django's storage API: a private
folder, TRANSFERS_DIR, by default; a shared mount or a bucket when web and workers run on several
machines), each under a random token, and are removed once used or after MAX_AGE."""

import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

_TOKEN = re.compile(r"[0-9a-f]{32}")
MAX_AGE = 24 * 3600


def storage() -> Storage:
    return storages["transfers"]


def new_token() -> str:
    return secrets.token_hex(16)


def _name(token: str) -> str:
    """The file name of `token`; anything that is not one of our tokens is refused."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ValueError("not a transfer token")
    return token


def _save(token: str, content) -> str:
    saved = storage().save(_name(token), content)
    if saved != token:  # a backend that renamed it (never with a fresh random token)
        storage().delete(saved)
        raise RuntimeError(f"transfer {token} could not be stored under its name")
    return token


def save_upload(uploaded) -> str:
    """Store an uploaded file (Django UploadedFile) as a new transfer; its token."""
    return _save(new_token(), uploaded)


def save_bytes(data: bytes) -> str:
    """Store `data` as a new transfer; its token."""
    return _save(new_token(), ContentFile(data))


@contextmanager
def receiving() -> Iterator[tuple[str, object]]:
    """`with receiving() as (token, file):` write into `file` (a local temporary file); stored as
    the transfer `token` when the block ends without an error, and nothing at all otherwise."""
    token = new_token()
    with tempfile.TemporaryFile() as file:
        yield token, file
        file.seek(0)
        _save(token, File(file))


def open_file(token: str):
    """The transfer's file, open for reading. FileNotFoundError when it is gone (used, expired)."""
    name = _name(token)
    if not storage().exists(name):
        raise FileNotFoundError(name)
    return storage().open(name, "rb")


def size(token: str) -> int:
    return storage().size(_name(token))


def discard(token: str) -> None:
    storage().delete(_name(token))


def sweep(max_age: float = MAX_AGE) -> None:
    """Remove transfers nobody fetched within `max_age` seconds."""
    limit = time.time() - max_age
    try:
        _folders, names = storage().listdir("")
    except FileNotFoundError:  # nothing was ever stored
        return
    for name in names:
        if _TOKEN.fullmatch(name) and storage().get_modified_time(name).timestamp() < limit:
            storage().delete(name)
