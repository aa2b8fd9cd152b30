"""{% link %} (config/links.py) gives what reverse() gives, for every named URL of the console,
with ids and with hostile names, and follows a change of URLs."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, path, reverse

from config.links import link

IDS = [0, 7, 123456789, 987654321]
NAMES = ["vm-1", "a b", "ü<&>\"'", "x/y", "987654321", "a%2Fb", "..", "?q=1#f"]


def named_patterns(resolver=None, namespace=""):
    """(name, converters) of every named URL, in namespaces too."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from named_patterns(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name, list(entry.pattern.converters.values())


def arguments(converters) -> list[list]:
    """Argument lists to try: ids for int converters, names (and ids) for the others."""
    lists = [[]]
    for converter in converters:
        choices = IDS if type(converter).__name__ == "IntConverter" else [*NAMES, 5]
        lists = [[*args, choice] for args in lists for choice in choices][:60]
    return lists


def reversed_or_refused(function, name, args):
    try:
        return function(name, *args)
    except NoReverseMatch:
        return NoReverseMatch


def test_every_named_url_links_as_reverse_gives_it():
    patterns = list(named_patterns())
    assert len(patterns) > 80
    for name, converters in patterns:
        for args in arguments(converters):
            expected = reversed_or_refused(lambda name, *args: reverse(name, args=args), name, args)
            assert reversed_or_refused(link, name, args) == expected, (name, args)
            assert reversed_or_refused(link, name, args) == expected, (name, args)  # from the cache


def test_a_negative_or_other_argument_is_refused_as_reverse_refuses_it():
    with pytest.raises(NoReverseMatch):
        link("instance-detail", -1)
    assert link("instance-detail", "12") == reverse("instance-detail", args=["12"])


def test_the_template_tag_gives_the_same_urls_escaped():
    rendered = Template("{% link 'instance-detail' 5 %}|{% link 'instance-detail' 6 as here %}{{ here }}").render(
        Context()
    )
    assert rendered == f"{reverse('instance-detail', args=[5])}|{reverse('instance-detail', args=[6])}"


urlpatterns = [path("elsewhere/<int:pk>/", lambda request, pk: None, name="instance-detail")]


def test_a_change_of_urls_is_followed():
    before = link("instance-detail", 3)
    with override_settings(ROOT_URLCONF=__name__):
        assert link("instance-detail", 3) == "/elsewhere/3/"
    assert link("instance-detail", 3) == before
