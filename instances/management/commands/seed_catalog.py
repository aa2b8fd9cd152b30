"""`manage.py seed_catalog`: flavors and a demo image for an empty catalog (`make run` calls it)."""

from django.core.management.base import BaseCommand

from instances.catalog import seed_demo_image, seed_flavors


class Command(BaseCommand):
    help = "Add Nova-like m1.* flavors when there are none, and the demo image when there is no image."

    def handle(self, *args, **options):
        flavors = seed_flavors()
        self.stdout.write(f"flavors added: {', '.join(flavors)}" if flavors else "flavors exist: none added")
        self.stdout.write(seed_demo_image())
