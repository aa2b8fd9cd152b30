"""Open pages learn that an instance is gone, whoever deleted it (a delete, a failed spawn, the
inventory after `virsh undefine`, its host removed)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from instances.models import Instance
from live.broadcast import broadcast


@receiver(post_delete, sender=Instance)
def announce_deleted(sender, instance: Instance, **kwargs) -> None:
    broadcast("instance", {**instance.as_event(), "deleted": True, "state": "deleted", "state_label": "Deleted"})
