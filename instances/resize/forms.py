"""The resize form: the new flavor, and the host (its own: resize in place; another: move it there,
powered off). The checks the database can answer are shown at once; the job runs them again live."""

from django import forms
from django.conf import settings

from accounts.scope import operated_hosts
from hosts.models import Host
from instances.migration.checks import problems
from instances.models import Flavor, Instance


class ResizeForm(forms.Form):
    flavor = forms.ModelChoiceField(queryset=Flavor.objects.all(), empty_label=None)
    destination = forms.ModelChoiceField(
        queryset=Host.objects.none(), empty_label=None,
        help_text="Its own host resizes it in place; another host moves it there (a cold migration).",
    )  # fmt: skip
    bandwidth_mib = forms.IntegerField(
        label="Copy bandwidth (MiB/s)", min_value=0, max_value=100_000,
        help_text="For copying its disks to another host's storage; 0: as fast as the link goes.",
    )  # fmt: skip

    def __init__(self, *args, instance: Instance, user, **kwargs):
        kwargs.setdefault("initial", {"flavor": instance.flavor_id, "destination": instance.host_id,
                                      "bandwidth_mib": settings.RESIZE_BANDWIDTH})  # fmt: skip
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["destination"].queryset = operated_hosts(user, Host.objects.all())

    def clean(self):
        data = super().clean()
        flavor, dest, instance = data.get("flavor"), data.get("destination"), self.instance
        if self.errors or flavor is None or dest is None:
            return data
        if instance.resizing:
            self.add_error(None, f"{instance} waits for Confirm or Revert of its last resize.")
        elif dest == instance.host and flavor.pk == instance.flavor_id:
            self.add_error(None, "Nothing would change: choose another flavor or another host.")
        if instance.flavor is not None and flavor.disk_gib < instance.flavor.disk_gib:
            self.add_error("flavor", f"Its root disk ({flavor.disk_gib} GiB) is smaller than the instance's "
                           f"({instance.flavor.disk_gib} GiB): a disk never shrinks.")  # fmt: skip
        if dest != instance.host:
            for problem in problems(instance, dest, flavor=flavor):
                self.add_error(None, problem)
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        return {"flavor": data["flavor"].pk, "destination": data["destination"].pk,
                "bandwidth_mib": data["bandwidth_mib"]}  # fmt: skip


class GrowForm(forms.Form):
    """More vCPUs and memory for a running instance, up to what its definition allows."""

    vcpus = forms.IntegerField(label="vCPUs", min_value=1, max_value=256)
    memory_mib = forms.IntegerField(label="Memory (MiB)", min_value=16, max_value=4 * 1024 * 1024)

    def __init__(self, *args, instance: Instance, **kwargs):
        kwargs.setdefault("initial", {"vcpus": instance.vcpus, "memory_mib": instance.memory_mib})
        super().__init__(*args, **kwargs)
        self.instance = instance

    def clean(self):
        data = super().clean()
        vcpus, memory = data.get("vcpus"), data.get("memory_mib")
        if vcpus and memory and vcpus <= (self.instance.vcpus or 0) and memory <= (self.instance.memory_mib or 0):
            self.add_error(None, "Nothing would grow: ask for more vCPUs or more memory.")
        return data

    def params(self) -> dict:
        return {"vcpus": self.cleaned_data["vcpus"], "memory_mib": self.cleaned_data["memory_mib"]}
