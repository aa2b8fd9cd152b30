"""The form to set a user's password in the guest."""

import re

from django import forms

from hosts.credentials import encrypt

USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")


def set_password_params(username: str, password: str) -> dict:
    return {"user": username, "password": encrypt(password)}


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

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, **kwargs)

    def params(self) -> dict:
        """The operation's params: the password kept encrypted."""
        data = self.cleaned_data
        return set_password_params(data["user"], data["password"])

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
