"""Open pages re-read their user's grants when any grant changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Grant
from live.broadcast import broadcast


@receiver([post_save, post_delete], sender=Grant)
def grants_changed(sender, instance, **kwargs):
    broadcast("grants", {"id": "all"})
