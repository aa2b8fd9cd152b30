"""Login with throttling against password guessing, logout, and password change (all audited)."""

import hashlib
import logging
import math

import django_rq
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from redis.exceptions import RedisError

from audit.models import AuditAction, AuditOutcome
from audit.services import client_address, record

log = logging.getLogger(__name__)

# Decrement the address counter after a successful login, but never create it or take it below zero.
_GIVE_BACK = """
local n = redis.call('get', KEYS[1])
if n and tonumber(n) > 0 then return redis.call('decr', KEYS[1]) end
return 0
"""


def throttle_keys(username: str, address: str) -> tuple[str, str]:
    """The Redis counters of failed logins for a username (case-insensitive) and a client address."""
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return f"lvc:login-failures:user:{name}", f"lvc:login-failures:address:{address}"


def count_attempt(username: str, address: str) -> int:
    """Count this attempt as a failure before the password is checked (so parallel guesses cannot
    slip through); return the seconds to wait when it is over the limit, else 0. A window starts at
    the first failure. Redis not answering lets the attempt through (logged)."""
    try:
        conn = django_rq.get_connection("default")
        pipe = conn.pipeline()
        for key in throttle_keys(username, address):
            pipe.set(key, 0, ex=settings.LOGIN_FAILURE_WINDOW, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
        _, user_count, user_ttl, _, address_count, address_ttl = pipe.execute()
    except RedisError:
        log.warning("login throttling is off: Redis does not answer", exc_info=True)
        return 0
    over = [ttl for count, ttl in ((user_count, user_ttl), (address_count, address_ttl))
            if count > settings.LOGIN_MAX_FAILURES]  # fmt: skip
    return max((max(ttl, 1) for ttl in over), default=0)


def login_succeeded(username: str, address: str) -> None:
    """A correct password clears the username's counter and takes this attempt off the address's."""
    user_key, address_key = throttle_keys(username, address)
    try:
        conn = django_rq.get_connection("default")
        conn.delete(user_key)
        conn.eval(_GIVE_BACK, 1, address_key)
    except RedisError:
        log.warning("could not clear the failed login counters", exc_info=True)


class ThrottledAuthenticationForm(auth_forms.AuthenticationForm):
    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password.",
        "throttled": "Too many failed logins; try again in %(minutes)s.",
    }

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()  # nothing is checked: the fields report what is missing
        address = client_address(self.request)
        wait = count_attempt(username, address)
        if wait:
            record(action=AuditAction.LOGIN_FAILED, username=username, outcome=AuditOutcome.REFUSED,
                   detail="throttled", request=self.request)  # fmt: skip
            minutes = math.ceil(wait / 60)
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": f"{minutes} minute{'s' if minutes != 1 else ''}"},
            )
        cleaned = super().clean()  # a wrong password raises here, and stays counted
        login_succeeded(username, address)
        return cleaned


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
