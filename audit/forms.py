"""Filters of the audit page; a field with a bad value is reported and left out, the others still apply."""

import datetime

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditAction, AuditOutcome


def _text(label: str, **attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"aria-label": label, "placeholder": label, **attrs})


def _choices(label: str) -> forms.Select:
    return forms.Select(attrs={"aria-label": label, "data-autosubmit": ""})


class AuditFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=_text("Search detail or object", type="search"))  # fmt: skip
    user = forms.CharField(required=False, max_length=150, widget=_text("User"))
    action = forms.ChoiceField(required=False, choices=[("", "All actions"), *AuditAction.choices],
                               widget=_choices("Action"))  # fmt: skip
    outcome = forms.ChoiceField(required=False, choices=[("", "All outcomes"), *AuditOutcome.choices],
                                widget=_choices("Outcome"))  # fmt: skip
    object = forms.CharField(required=False, max_length=255, widget=_text("Object"))
    date_from = forms.DateField(required=False, label="From",
                                widget=forms.DateInput(attrs={"type": "date", "aria-label": "From"}))  # fmt: skip
    date_to = forms.DateField(required=False, label="To",
                              widget=forms.DateInput(attrs={"type": "date", "aria-label": "To"}))  # fmt: skip

    def clean_date_from(self):
        return _in_range(self.cleaned_data["date_from"])

    def clean_date_to(self):
        return _in_range(self.cleaned_data["date_to"])

    def filter(self, entries: QuerySet) -> QuerySet:
        """`entries` narrowed by every valid filter (call after is_valid())."""
        data = self.cleaned_data
        if data.get("q"):
            entries = entries.filter(Q(detail__icontains=data["q"]) | Q(object_name__icontains=data["q"]))
        if data.get("user"):
            entries = entries.filter(username__icontains=data["user"])
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("outcome"):
            entries = entries.filter(outcome=data["outcome"])
        if data.get("object"):
            entries = entries.filter(object_name__icontains=data["object"])
        if data.get("date_from"):
            entries = entries.filter(time__gte=_day_start(data["date_from"]))
        if data.get("date_to"):  # inclusive: up to the end of that day
            entries = entries.filter(time__lt=_day_start(data["date_to"] + datetime.timedelta(days=1)))
        return entries

    @property
    def active(self) -> bool:
        """Whether any filter has a value (valid or not)."""
        return any(self.data.get(name) for name in self.fields)


# The day after date_to, and midnight in any time zone converted to UTC, must stay representable.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(9999, 12, 30)


def _in_range(day: datetime.date | None) -> datetime.date | None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(f"Enter a date between {FIRST_DAY} and {LAST_DAY}.")
    return day


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the console's time zone (a range on the indexed time column)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
