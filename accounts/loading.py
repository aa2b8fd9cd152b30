"""Every request loads its session and its user: both with SQL compiled once per process
(config.prepared), the same rows and checks as Django's own database session store and
ModelBackend. Settings: SESSION_ENGINE = "accounts.loading", AUTHENTICATION_BACKENDS."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.prepared import Prepared

sessions_by_key = Prepared(lambda key: Session.objects.filter(session_key=key))
users_by_pk = Prepared(lambda pk: get_user_model()._default_manager.filter(pk=pk))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The unexpired session of this key, or None (and no key: a new one is made on save)."""
        found = [session for session in sessions_by_key(self.session_key) if session.expire_date > timezone.now()]
        if not found:
            self._session_key = None
            return None
        return found[0]


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        found = users_by_pk(user_id)
        return found[0] if found and self.user_can_authenticate(found[0]) else None
