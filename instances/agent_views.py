"""Guest agent pages: set a user's password in the guest (an operation through the agent)."""

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from instances.access import get_instance_for_user
from instances.actions import ACTIONS
from instances.guest_agent import request_set_password
from instances.services import Busy
from jobs.services import NoWorker

USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")


class SetPasswordForm(forms.Form):
    user = forms.CharField(label="User name", initial="root", max_length=32, help_text="A user of the guest.")
    password = forms.CharField(
        label="New password", strip=False, max_length=256, error_messages={"required": "Enter the new password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )  # fmt: skip
    password_again = forms.CharField(
        label="New password again", strip=False, max_length=256,
        error_messages={"required": "Enter the new password a second time."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )  # fmt: skip

    def clean_user(self) -> str:
        user = self.cleaned_data["user"]
        if not USER_NAME.fullmatch(user):
            raise forms.ValidationError(
                "A user name is letters, digits, '.', '_' and '-', starting with a letter or '_'."
            )
        return user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if "\n" in password or "\r" in password:
            raise forms.ValidationError("The password cannot contain line breaks.")
        return password

    def clean(self):
        data = super().clean()
        if "password" in data and "password_again" in data and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords differ: type the same password twice.")
        return data


@require_http_methods(["GET", "POST"])
@login_required
def set_password(request, pk: int):
    """GET: the form. POST: queue setting the password through the guest agent."""
    instance = get_instance_for_user(request, pk, "change")
    form = SetPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not ACTIONS["set-password"].allowed(instance):
            state = instance.get_state_display().lower() + (" and rescued" if instance.rescued else "")
            form.add_error(None, f"The guest agent answers only while the guest runs: {instance} is {state}.")
        else:
            data = form.cleaned_data
            try:
                op = request_set_password(
                    instance=instance, user=request.user, username=data["user"], password=data["password"]
                )
            except (Busy, NoWorker) as error:
                form.add_error(None, str(error))
            else:
                return redirect("operation-detail", pk=op.pk)
    return render(request, "instances/set_password.html", {"instance": instance, "form": form})
