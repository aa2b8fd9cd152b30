"""`manage.py ensure_admin`: make sure an administrator can log in, and say how.

DJANGO_SUPERUSER_USERNAME / DJANGO_SUPERUSER_PASSWORD (and _EMAIL) create that account when it
does not exist. Otherwise a first run creates `admin` with a random password kept, readable by
root only, in STATE_DIR/admin-password for this development default."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the administrator account if there is none, and print how to log in."

    def handle(self, *args, **options):
        users = get_user_model().objects
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if username and password:
            if not users.filter(username=username).exists():
                users.create_superuser(username, os.environ.get("DJANGO_SUPERUSER_EMAIL", ""), password)
                self.stdout.write(f"created administrator {username!r} from DJANGO_SUPERUSER_*")
            self.stdout.write(f"log in as {username!r} with DJANGO_SUPERUSER_PASSWORD")
            return

        secret_file = settings.STATE_DIR / "admin-password"
        if users.filter(is_superuser=True).exists():
            if secret_file.exists():
                self.stdout.write(f"log in as 'admin' with the password kept in {secret_file}")
            else:
                self.stdout.write("an administrator exists; reset a password with: manage.py changepassword NAME")
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser("admin", "", password)
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.unlink(missing_ok=True)
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        self.stdout.write(f"created administrator 'admin' with password {password} (kept in {secret_file})")
