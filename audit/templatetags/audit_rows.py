"""{% audit_rows entries %}: the rows of the audit log (config/markup.py)."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from config.markup import STAMP, choice_label, text

register = template.Library()


@register.simple_tag
def audit_rows(entries) -> SafeString:
    return mark_safe("\n".join(_row(entry) for entry in entries))  # noqa: S308 - every value escaped


def _row(entry) -> str:
    if entry.object_type:
        target = f"<small>{text(entry.object_type)}</small> {text(entry.object_name)}"
    else:
        target = "—"
    moment = localtime(entry.time)
    outcome = text(choice_label(entry, "outcome"))
    return (
        "<tr>\n"
        f'  <td><time datetime="{moment.isoformat()}">{moment.strftime(STAMP)}</time></td>\n'
        f"  <td>{text(entry.username or '—')}</td>\n"
        f"  <td>{text(choice_label(entry, 'action'))}</td>\n"
        f"  <td>{target}</td>\n"
        f'  <td><span class="status status-{text(entry.outcome)}">{outcome}</span></td>\n'
        f"  <td>{text(entry.detail)}</td>\n"
        f"  <td>{text(entry.client_address or '—')}</td>\n"
        "</tr>"
    )
