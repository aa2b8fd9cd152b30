"""When access changes (a grant, a user's permissions or groups, a group's permissions, an
account), open pages re-read their user's grants and open consoles check their user again."""

from django.contrib.auth.models import Group, User
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import Grant
from live.broadcast import access_changed, broadcast


def _changed() -> None:
    broadcast("grants", {"id": "all"})
    access_changed()


@receiver([post_save, post_delete], sender=Grant)
def grants_changed(sender, instance, **kwargs):
    _changed()


@receiver(m2m_changed, sender=User.user_permissions.through)
@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=Group.permissions.through)
def permissions_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        _changed()


@receiver(post_delete, sender=User)
@receiver(post_save, sender=User)
def account_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a login, or a password change: nothing about access
    if kwargs.get("created"):
        return  # a new account holds nothing open yet
    _changed()
