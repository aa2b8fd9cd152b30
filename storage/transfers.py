"""Files on their way between a browser and a volume: STATE_DIR/transfers, private, random names."""

import os
import re
import secrets
import time
from pathlib import Path

from django.conf import settings

_TOKEN = re.compile(r"[0-9a-f]{32}")
MAX_AGE = 24 * 3600


def transfers_dir() -> Path:
    directory = Path(settings.STATE_DIR) / "transfers"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def new_token() -> str:
    return secrets.token_hex(16)


def path_for(token: str) -> Path:
    """The transfer file of `token`; anything that is not one of our tokens is refused."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ValueError("not a transfer token")
    return transfers_dir() / token


def save_upload(uploaded) -> str:
    """Write an uploaded file (Django UploadedFile) to a new private transfer file; its token."""
    token = new_token()
    fd = os.open(path_for(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        for chunk in uploaded.chunks():
            file.write(chunk)
    return token


def save_bytes(data: bytes) -> str:
    """Write `data` to a new private transfer file; its token."""
    token = new_token()
    fd = os.open(path_for(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    return token


def discard(token: str) -> None:
    path_for(token).unlink(missing_ok=True)


def sweep(max_age: float = MAX_AGE) -> None:
    """Remove transfer files nobody fetched within `max_age` seconds."""
    limit = time.time() - max_age
    for path in transfers_dir().iterdir():
        if _TOKEN.fullmatch(path.name) and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
