"""Widgets drawn in Python (config/widgets.py) give the very markup of Django's widget templates:
widget by widget with hostile values, and on every page with a form."""

import datetime
import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe

from config.widgets import PythonWidgets
from tests.forms.support import HOSTILE

VALUES = [None, "", 0, 7, 1.5, True, False, datetime.date(2026, 12, 4), datetime.datetime(2026, 12, 4, 13, 5),
          ["a", "<b>"], ("x", 1), mark_safe("<i>safe</i>"), *HOSTILE[:40]]  # fmt: skip
ATTRS = {"placeholder": "<\"&'>", "required": True, "disabled": False, "data-n": 5, "aria-label": mark_safe("<x>")}
CHOICES = [("", "All <kinds>"), ("a", "A & B"), (3, "three"), (mark_safe("<s>"), mark_safe("<em>safe</em>")),
           ("Group <g>", [("g1", "G one"), ("g2", '"two"')]), (4.5, 4.5)]  # fmt: skip
WIDGETS = [
    forms.TextInput(attrs=ATTRS), forms.TextInput(attrs={"type": "search"}), forms.NumberInput(), forms.EmailInput(),
    forms.URLInput(), forms.PasswordInput(render_value=True), forms.PasswordInput(), forms.HiddenInput(attrs=ATTRS),
    forms.DateInput(attrs={"type": "date"}), forms.DateTimeInput(), forms.TimeInput(), forms.CheckboxInput(attrs=ATTRS),
    forms.Textarea(attrs=ATTRS), forms.Select(choices=CHOICES, attrs=ATTRS), forms.Select(choices=[]),
    forms.SelectMultiple(choices=CHOICES), forms.NullBooleanSelect(), forms.RadioSelect(choices=CHOICES),
    forms.CheckboxSelectMultiple(choices=CHOICES), forms.ClearableFileInput(), forms.SplitDateTimeWidget(),
]  # fmt: skip


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda widget: type(widget).__name__)
def test_each_widget_is_drawn_as_djangos_templates_draw_it(widget):
    python, templates = PythonWidgets(), DjangoTemplates()
    for value in [*VALUES, "a", 3, "g2"]:
        for attrs in (None, {"id": "id_<f>", "autofocus": True}):
            try:
                expected = widget.render("name<&>", value, attrs, renderer=templates)
            except (TypeError, AttributeError) as refused:  # a value it cannot take (a list for yes/no)
                with pytest.raises(type(refused)):
                    widget.render("name<&>", value, attrs, renderer=python)
                continue
            assert widget.render("name<&>", value, attrs, renderer=python) == expected, (value, attrs)


def test_the_python_widgets_are_the_ones_in_use(settings):
    assert settings.FORM_RENDERER == "config.widgets.PythonWidgets"


def pages(world) -> list[str]:
    host, instance = world["alpha"].pk, world["instance"].pk
    hostile = "?q=%3Cscript%3E&user=%22x&action=nope&date_from=2026-13-45&outcome=succeeded"
    return [reverse("host-add"), reverse("host-edit", args=[host]), reverse("instance-create"),
            reverse("storage-pool-define", args=[host]), reverse("network-create", args=[host]),
            reverse("nwfilter-define", args=[host]), reverse("disk-attach", args=[instance]),
            reverse("interface-attach", args=[instance]), reverse("snapshot-create", args=[instance]),
            reverse("instance-migrate", args=[instance]), reverse("instance-resize", args=[instance]),
            reverse("instance-grow", args=[instance]), reverse("instance-clone", args=[instance]),
            reverse("instance-set-password", args=[instance]), reverse("image-upload"), reverse("image-import"),
            reverse("grant-list"), reverse("api-tokens"), reverse("audit-list"), reverse("audit-list") + hostile,
            reverse("operation-list") + "?status=<b>", reverse("instance-list") + "?q=%22%3E",
            reverse("password_change")]  # fmt: skip


def masked(html: str) -> str:
    """The page without its CSRF tokens (a new mask on every page)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)


def test_every_form_page_is_the_same_with_either_renderer(client, world):
    client.force_login(world["admin"])
    for path in pages(world):
        fast = client.get(path)
        with override_settings(FORM_RENDERER="django.forms.renderers.DjangoTemplates"):
            slow = client.get(path)
        assert fast.status_code == slow.status_code == 200, path
        assert "<input" in fast.content.decode() or "<select" in fast.content.decode(), path
        assert masked(fast.content.decode()) == masked(slow.content.decode()), path
