"""An instance's history goes with it."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from instances.models import Instance
from stats import history


@receiver(post_delete, sender=Instance)
def remove_history(sender, instance: Instance, **kwargs) -> None:
    history.remove(f"instance-{instance.uuid}")
