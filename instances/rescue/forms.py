"""The form of the rescue action: which image the rescue guest boots."""

from django import forms

from instances.models import Image, Instance


class RescueForm(forms.Form):
    """The rescue image: preselected is the instance's own; without one, a choice is required."""

    image = forms.ModelChoiceField(queryset=Image.objects.all(), label="Rescue image")

    def __init__(self, *args, instance: Instance, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["image"]
        if instance.image_id:
            field.required = False
            field.initial = instance.image_id
            field.empty_label = "The instance's own image"
        else:
            field.empty_label = "Choose an image"
            field.error_messages["required"] = "Choose a rescue image: the instance has none of its own."

    def params(self) -> dict:
        image = self.cleaned_data["image"]
        return {"image_id": image.pk} if image else {}
