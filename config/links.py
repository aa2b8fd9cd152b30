"""{% link 'name' %} and {% asset 'path' %}: what {% url 'name' %} (a URL without arguments) and
{% static 'path' %} give, worked out once per process instead of on every page: every page's
header has a dozen of each, ~0.25 ms of a page's few milliseconds. Template builtins (settings)."""

from functools import cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse

register = template.Library()


@register.simple_tag
def link(name: str) -> str:
    return _reverse(name, get_script_prefix())


@register.simple_tag
def asset(path: str) -> str:
    return _static(path)


@cache
def _reverse(name: str, prefix: str) -> str:
    return reverse(name)  # (reverse() prefixes the script prefix it is called under: part of the key)


@cache
def _static(path: str) -> str:
    return static(path)


@receiver(setting_changed)
def _forget(**_kwargs) -> None:
    """A test's override_settings (URLs, static storage) is followed, as reverse() and static() do."""
    _reverse.cache_clear()
    _static.cache_clear()
