"""Form widgets drawn in Python: Django draws each <input>, <select> and <option> through its
template engine, ~0.2 ms a field (a filter form of seven fields was 40 % of the audit page). This
renderer (settings.FORM_RENDERER) makes the same markup as Django's own widget templates — inputs
of every type, selects and their options, textareas — with the same escaping; anything else
(forms' and fields' layout, errors, other widgets) still goes through the templates."""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape

WIDGETS = "django/forms/widgets/"
OPTION = WIDGETS + "select_option.html"
INPUT_KINDS = ("input", "text", "search", "number", "email", "url", "tel", "password", "hidden", "date", "datetime",
               "time", "color", "checkbox")  # fmt: skip
INPUTS = {WIDGETS + f"{kind}.html" for kind in INPUT_KINDS}


def shown(value) -> str:
    """{{ value }}: localized, as text, escaped unless marked safe."""
    return conditional_escape(str(localize(value)))


def formatted(value) -> str:
    """{{ value|stringformat:'s' }}."""
    return conditional_escape(str(value) if isinstance(value, tuple) else value)


def attributes(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {shown(name)}" if value is True else f' {shown(name)}="{formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_markup(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{formatted(widget["value"])}"'
    return f'<input type="{shown(widget["type"])}" name="{shown(widget["name"])}"{value}{attributes(widget["attrs"])}>'


def option_markup(option: dict) -> str:
    value, label = formatted(option["value"]), shown(option["label"])
    return f'<option value="{value}"{attributes(option["attrs"])}>{label}</option>\n'


def select_markup(widget: dict) -> str | None:
    """django/forms/widgets/select.html, or None when an option has a template of its own."""
    parts = [f'<select name="{shown(widget["name"])}"{attributes(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                return None
            parts.append("\n  " + option_markup(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def textarea_markup(widget: dict) -> str:
    value = shown(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{shown(widget["name"])}"{attributes(widget["attrs"])}>\n{value}</textarea>'


class PythonWidgets(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        markup = None
        if template_name in INPUTS:
            markup = input_markup(widget)
        elif template_name == WIDGETS + "select.html":
            markup = select_markup(widget)
        elif template_name == WIDGETS + "textarea.html":
            markup = textarea_markup(widget)
        return super().render(template_name, context, request) if markup is None else markup.strip()
