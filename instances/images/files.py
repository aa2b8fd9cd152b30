"""Image files in the console's file storage (Django's default storage: MEDIA_ROOT, a shared
mount or a bucket), written by the worker (an import, a snapshot made an image): each is received
into a local temporary file and stored whole, so the storage never holds half a file."""

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage


@dataclass
class Receipt:
    file: BinaryIO  # write here
    name: str = ""  # the name it was stored under, once stored


@contextmanager
def receiving(name: str) -> Iterator[Receipt]:
    """`with receiving("images/x") as receipt:` write into `receipt.file`; stored under `name`
    (or a free name like it: `receipt.name`) when the block ends without an error, else not at all."""
    with tempfile.TemporaryFile() as file:
        receipt = Receipt(file)
        yield receipt
        file.seek(0)
        receipt.name = default_storage.save(name, File(file))


def ours(name: str) -> bool:
    """A name an import or snapshot gave (under images/), never one from elsewhere."""
    return isinstance(name, str) and name.startswith("images/") and ".." not in name.split("/")


def delete(names: Iterable[str]) -> int:
    """Remove these stored image files (those that are ours); how many there were."""
    stored = [name for name in names if ours(name) and default_storage.exists(name)]
    for name in stored:
        default_storage.delete(name)
    return len(stored)
