"""{% action_buttons actions instance %}: the instance page's action buttons (config/markup.py),
each a button posting the action, asking first in place (htmx's confirm) when the action asks for
confirmation, or a link to its confirmation page when it also has a form. Without scripts, a
confirmed action's form opens that page too. `wrap="li"` puts each in a list item (the More… menu)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from config.links import link
from config.markup import text

register = template.Library()


@register.simple_tag(takes_context=True)
def action_buttons(context, actions, instance, wrap: str = "") -> SafeString:
    token = text(context.get("csrf_token") or "")
    buttons = (_button(action, instance, token) for action in actions)
    if wrap:
        buttons = (f"<{wrap}>{button}</{wrap}>" for button in buttons)
    return mark_safe("".join(buttons))  # noqa: S308 - every value escaped


def _button(action, instance, token: str) -> str:
    url = text(link("instance-action", instance.pk, action.name))
    label = text(action.label)
    if action.confirm and action.form:
        return f'<a role="button" class="small secondary" href="{url}">{label}…</a>\n\n'
    if action.confirm:
        style = " contrast outline" if action.name == "delete" else " secondary"
        return (
            f'<form method="get" action="{url}" class="inline"\n'
            f'      hx-post="{url}" hx-target="#instance-flash"\n'
            f'      hx-headers=\'{{"X-CSRFToken": "{token}"}}\' '
            f'hx-confirm="{label} {text(instance.name)}? {text(action.confirm)}">\n'
            f'  <button type="submit" class="small{style}">{label}…</button>\n'
            "</form>\n\n"
        )
    shown = token and token != "NOTPROVIDED"  # as {% csrf_token %}
    hidden = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">' if shown else ""
    return (
        f'<form method="post" action="{url}" class="inline"\n'
        f'      hx-post="{url}" hx-target="#instance-flash">{hidden}\n'
        f'  <button type="submit" class="small">{label}</button>\n'
        "</form>\n"
    )
