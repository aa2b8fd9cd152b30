"""Finding what a request names: a database id in a query parameter, an item of a JSON list
(a host's inventory, an instance's details), or a 404."""

from collections.abc import Callable, Iterable

from django.http import Http404


def positive_id(value: str | None) -> int | None:
    """A positive database id from a query parameter, or None."""
    return int(value) if value and value.isdigit() and len(value) < 16 else None


def item_or_404(items: Iterable[dict], match: Callable[[dict], bool], message: str) -> dict:
    """The first item `match` accepts; Http404 with `message` when there is none."""
    for item in items:
        if match(item):
            return item
    raise Http404(message)
