"""The names the console gives libvirt objects (pools, volumes, networks, filters): safe in XML,
in URLs and as file names."""

import re

from virt.errors import VirtError

NAME_RULE = "Use 1 to 100 letters, digits, '-', '_' or '.', not starting with '.'."
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")


class InvalidName(VirtError):
    """A name libvirt objects may not have here."""


def check_name(name: str) -> str:
    """`name` if it follows NAME_RULE, else InvalidName saying the rule."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidName(f"{name!r} is not a valid name. {NAME_RULE}")
    return name
