"""Login with throttling against password guessing, logout, and password change (all audited)."""

import math

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from accounts.throttle import LoginAttempt
from audit.models import AuditAction, AuditOutcome
from audit.services import client_address, record


class ThrottledAuthenticationForm(auth_forms.AuthenticationForm):
    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password.",
        "throttled": "Too many failed logins; try again in %(minutes)s.",
        "busy": "Too many logins at once from here; try again in a moment.",
    }

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()  # nothing is checked: the fields report what is missing
        attempt = LoginAttempt(username, client_address(self.request))
        refusal = attempt.begin()
        if refusal:
            record(action=AuditAction.LOGIN_FAILED, username=username, outcome=AuditOutcome.REFUSED,
                   detail=refusal.reason, request=self.request)  # fmt: skip
            raise self._refused(refusal.wait)
        try:
            cleaned = super().clean()
        except ValidationError:  # a wrong password (or an inactive user): counted
            attempt.failed()
            raise
        except BaseException:
            attempt.abandoned()
            raise
        attempt.succeeded()
        return cleaned

    def _refused(self, wait: int) -> ValidationError:
        if not wait:
            return ValidationError(self.error_messages["busy"], code="busy")
        minutes = math.ceil(wait / 60)
        return ValidationError(
            self.error_messages["throttled"],
            code="throttled",
            params={"minutes": f"{minutes} minute{'s' if minutes != 1 else ''}"},
        )


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (login required, the session kept) with our template, audited."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        record(action=AuditAction.PASSWORD_CHANGE, obj=self.request.user, request=self.request)
        return response

    def form_invalid(self, form):
        if "old_password" in form.errors:  # a guess at the current password from an open session
            record(action=AuditAction.PASSWORD_CHANGE, obj=self.request.user, outcome=AuditOutcome.FAILED,
                   detail="wrong current password", request=self.request)  # fmt: skip
        return super().form_invalid(form)


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"
