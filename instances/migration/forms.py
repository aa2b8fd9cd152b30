"""The migrate form: where to, and the migration's tunables (defaults from settings)."""

from django import forms
from django.conf import settings

from accounts.scope import operated_hosts
from hosts.models import Host
from instances.migration.checks import problems
from instances.models import Instance


class MigrateForm(forms.Form):
    destination = forms.ModelChoiceField(
        queryset=Host.objects.none(), empty_label="Choose a host", help_text="Hosts where you may run instances."
    )
    max_downtime_ms = forms.IntegerField(
        label="Maximum downtime (ms)", min_value=1, max_value=60_000,
        help_text="How long the guest may pause while its last memory moves.",
    )  # fmt: skip
    bandwidth_mib = forms.IntegerField(
        label="Bandwidth (MiB/s)", min_value=0, max_value=100_000, help_text="0: as fast as the link goes."
    )
    auto_converge = forms.BooleanField(
        required=False, help_text="Slow the guest's CPUs if its memory changes faster than it can be sent."
    )
    post_copy = forms.BooleanField(
        required=False, help_text="Switch to post-copy when it does not converge: the guest runs on the "
        "destination while the rest of its memory follows.",
    )  # fmt: skip
    completion_timeout = forms.IntegerField(
        label="Completion timeout (s)", min_value=5, max_value=86_400,
        help_text="Then the migration is aborted; the guest stays here.",
    )  # fmt: skip

    def __init__(self, *args, instance: Instance, user, **kwargs):
        kwargs.setdefault("initial", {
            "max_downtime_ms": settings.MIGRATION_MAX_DOWNTIME, "bandwidth_mib": settings.MIGRATION_BANDWIDTH,
            "auto_converge": settings.MIGRATION_AUTO_CONVERGE, "post_copy": settings.MIGRATION_POST_COPY,
            "completion_timeout": settings.MIGRATION_COMPLETION_TIMEOUT,
        })  # fmt: skip
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["destination"].queryset = operated_hosts(user, Host.objects.exclude(pk=instance.host_id))

    def clean(self):
        data = super().clean()
        if data.get("destination") and not self.errors:
            for problem in problems(self.instance, data["destination"]):
                self.add_error(None, problem)
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        tunables = {name: data[name] for name in self.fields if name != "destination"}
        return {"destination": data["destination"].pk, **tunables}
