"""Table rows made in Python for the pages that list many objects (instances, operations, audit
entries): Django's template engine costs ~0.2 ms per row of seven cells, a formatted string a
tenth of that. The markup is the same as a template's would be; every value is escaped."""

from functools import cache
from html import escape

from django.utils.encoding import force_str
from django.utils.timezone import localtime


def text(value) -> str:
    """A value as escaped text (what {{ value }} renders; None as the empty string)."""
    return "" if value is None else escape(str(value))


STAMP = "%Y-%m-%d %H:%M:%S"  # as the template filter date:"Y-m-d H:i:s" shows a time


def stamp(moment) -> str:
    """A time as {{ moment|date:"Y-m-d H:i:s" }} renders it (in the current time zone)."""
    return localtime(moment).strftime(STAMP) if moment else ""


def choice_label(obj, name: str) -> str | None:
    """What obj.get_<name>_display() gives (the label of the field's value, or the value), without
    its ~4 µs of rebuilding the choices on every call."""
    value = getattr(obj, name)
    return force_str(_choices(type(obj), name).get(value, value), strings_only=True)


@cache
def _choices(model, name: str) -> dict:
    return dict(model._meta.get_field(name).flatchoices)
