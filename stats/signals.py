"""A host's or an instance's history goes with it."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from hosts.models import Host
from instances.models import Instance
from stats import history


@receiver(post_delete, sender=Instance)
def remove_instance_history(sender, instance: Instance, **kwargs) -> None:
    history.remove(f"instance-{instance.uuid}")


@receiver(post_delete, sender=Host)
def remove_host_history(sender, instance: Host, **kwargs) -> None:
    history.remove(f"host-{instance.pk}")
