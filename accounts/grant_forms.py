from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import Grant, Role
from hosts.models import Host
from instances.models import Instance


class GrantForm(forms.ModelForm):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.order_by("username"), required=False)
    group = forms.ModelChoiceField(queryset=Group.objects.order_by("name"), required=False)
    host = forms.ModelChoiceField(queryset=Host.objects.only("pk", "name"), required=False)
    instance = forms.ModelChoiceField(
        queryset=Instance.objects.select_related("host").only("pk", "name", "host__name"), required=False
    )
    role = forms.ChoiceField(choices=Role.choices)

    class Meta:
        model = Grant
        fields = ["role", "user", "group", "host", "instance"]

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("group")):
            raise forms.ValidationError("Choose either a user or a group.")
        if data.get("host") and data.get("instance"):
            raise forms.ValidationError("Choose a host, an instance, or neither (the whole fleet), not both.")
        return data
