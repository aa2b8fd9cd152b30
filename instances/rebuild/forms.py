"""The form of the rebuild action: the image the instance is rebuilt from (its own preselected)."""

from django import forms

from instances.models import Image, Instance


class RebuildForm(forms.Form):
    image = forms.ModelChoiceField(queryset=Image.objects.all(), empty_label=None,
                                   help_text="Its root disk is made anew from this image.")  # fmt: skip

    def __init__(self, *args, instance: Instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].initial = instance.image_id

    def params(self) -> dict:
        return {"image": self.cleaned_data["image"].pk}
