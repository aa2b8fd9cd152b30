"""The clone form: the clone's name and the host it is made on (hosts the user runs instances on)."""

from django import forms

from accounts.scope import operated_hosts
from hosts.models import Host
from instances.models import Instance
from virt.names import InvalidName, check_name


class CloneForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The clone's name; it gets its own UUID and MACs.")
    destination = forms.ModelChoiceField(queryset=Host.objects.none(), empty_label=None,
                                         help_text="Its disks are copied to this host's storage.")  # fmt: skip

    def __init__(self, *args, instance: Instance, user, **kwargs):
        kwargs.setdefault("initial", {"name": f"{instance.name}-clone", "destination": instance.host_id})
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["destination"].queryset = operated_hosts(user, Host.objects.all())

    def clean_name(self):
        try:
            return check_name(self.cleaned_data["name"])
        except InvalidName as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        name, dest = data.get("name"), data.get("destination")
        if name and dest and Instance.objects.filter(host=dest, name=name).exists():
            self.add_error("name", f"An instance named {name} already exists on {dest}.")
        return data

    def params(self) -> dict:
        return {"name": self.cleaned_data["name"], "destination": self.cleaned_data["destination"].pk}
