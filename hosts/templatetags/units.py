"""Sizes for people: 3072 MiB → 3.0 GiB."""

from django import template

register = template.Library()
_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]


def _human(value: float, unit: int) -> str:
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.1f} {_UNITS[unit]}" if unit else f"{int(value)} B"


@register.filter
def bytes_human(value) -> str:
    return "—" if value in (None, "") else _human(float(value), 0)


@register.filter
def kib_human(value) -> str:
    return "—" if value in (None, "") else _human(float(value), 1)


@register.filter
def mib_human(value) -> str:
    return "—" if value in (None, "") else _human(float(value), 2)


@register.filter
def duration(seconds) -> str:
    if seconds in (None, ""):
        return "—"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} d {hours} h {rest // 60} min" if days else f"{hours} h {rest // 60} min"


@register.filter
def percent(part, whole) -> str:
    try:
        return f"{100 * float(part) / float(whole):.0f}%"
    except (TypeError, ValueError, ZeroDivisionError):
        return "—"
