"""The evacuate form: the admin's word that the host is off, and consent to rebuilding from images."""

from django import forms

from hosts.models import Host, HostStatus


class EvacuateForm(forms.Form):
    really_off = forms.BooleanField(
        required=False,
        label="I have made sure this host is powered off (or its guests are stopped and it cannot reach their disks)",
    )
    from_image = forms.BooleanField(
        required=False,
        label="Rebuild from its image each guest whose disks the new host does not see — what was written to "
        "those disks is lost",
    )

    def __init__(self, *args, host: Host, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host

    def clean(self):
        data = super().clean()
        if Host.objects.filter(pk=self.host.pk, status=HostStatus.UP).exists():
            raise forms.ValidationError(f"{self.host} answers: evacuation is for a host that is down. Move its "
                                        "guests with a migration or its maintenance instead.")  # fmt: skip
        if not data.get("really_off"):
            self.add_error("really_off", f"Confirm that {self.host} is off: nothing is evacuated until you do.")
        return data
