"""The form that makes an API token: a name, and the limits on it."""

from datetime import UTC, datetime, time

from django import forms
from django.utils import timezone

from accounts.scope import visible_hosts
from api.models import ApiToken
from hosts.models import Host


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. ci-pipeline.")
    read_only = forms.BooleanField(required=False, label="Read-only: it can read, never change anything")
    expires = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text="It is refused from the start of this day (UTC); empty: never.")  # fmt: skip
    hosts = forms.ModelMultipleChoiceField(
        queryset=Host.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Only these hosts and their instances; none: all yours.",
    )  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["hosts"].queryset = visible_hosts(user, Host.objects.order_by("name")).only("pk", "name")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if ApiToken.objects.filter(user=self.user, name=name).exists():
            raise forms.ValidationError(f"You already have a token named {name!r}.")
        return name

    def clean_expires(self):
        day = self.cleaned_data["expires"]
        if day is None:
            return None
        moment = datetime.combine(day, time.min, tzinfo=UTC)
        if moment <= timezone.now():
            raise forms.ValidationError("Choose a day after today.")
        return moment
