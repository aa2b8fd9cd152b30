"""The image cache: an image's files copied once into each host's image pool, named by checksum,
and removed again when no instance has used them for IMAGE_CACHE_MAX_AGE hours. A copy is a
claim across workers (a second spawn waits for it), and a file counts as cached only once its
CachedImage row says the copy completed."""

import hashlib
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.utils import timezone

from hosts.models import Host
from instances.models import CachedImage, Image, Instance
from jobs.claims import claim
from jobs.progress import transfer_progress
from virt import images

SUFFIX = {"disk": ".img", "kernel": ".kernel", "initrd": ".initrd"}


def checksum(field_file) -> str:
    digest = hashlib.sha256()
    with field_file.open("rb") as file:
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_checksums(image: Image) -> dict:
    """sha256 of each of the image's files, computed once and kept on the image."""
    sums = dict(image.checksums or {})
    for role, field_file in image.files().items():
        if role not in sums:
            sums[role] = checksum(field_file)
    if sums != image.checksums:
        Image.objects.filter(pk=image.pk).update(checksums=sums)
        image.checksums = sums
    return sums


def cache_image(conn, host: Host, image: Image, report=None, *, roles: tuple = ("disk", "kernel", "initrd")) -> dict:
    """{role: path on the host} of the image's files (of those roles), copying the missing ones into the pool."""
    images.ensure_pool(conn, settings.IMAGE_POOL_NAME, settings.IMAGE_POOL_PATH)
    sums = ensure_checksums(image)
    paths = {}
    for role, field_file in image.files().items():
        if role not in roles:
            continue
        volume = f"{role}-{sums[role][:32]}{SUFFIX[role]}"
        label = f"Copying the image's {role} to {host}:"
        progress = transfer_progress(report, label, start=10, end=40) if report else None
        waiting = f"waiting for another job copying the image's {role} to {host}"
        with claim(f"lvc:image-cache:{host.pk}:{volume}", waiting=waiting, on_wait=report and partial(report, 10)):
            complete = CachedImage.objects.filter(host=host, volume=volume).exists() or _in_use(conn, host, volume)
            paths[role], _copied = images.cache_file(
                conn, settings.IMAGE_POOL_NAME, volume, partial(field_file.open, "rb"), size=field_file.size,
                progress=progress,
                complete=complete,
            )  # fmt: skip
            CachedImage.objects.update_or_create(
                host=host, volume=volume, defaults={"checksum": sums[role], "last_used": timezone.now()}
            )
    return paths


def _in_use(conn, host: Host, volume: str) -> bool:
    """A cached file without its row (the database restored, say) that guests are built on is whole."""
    path = images.volume_path(conn, settings.IMAGE_POOL_NAME, volume)
    return path is not None and path in paths_in_use(conn, host)


def paths_in_use(conn, host: Host) -> set[str]:
    """Cached files some instance still needs: backing files of instance disks, and the disks and
    kernels/initrds in the definitions of the host's instances."""
    used = images.backing_paths(conn, settings.INSTANCE_POOL_NAME)
    for details in Instance.objects.filter(host=host).values_list("details", flat=True):
        boot = details.get("boot", {})
        used.update(path for path in (boot.get("kernel"), boot.get("initrd")) if path)
        used.update(disk["source"] for disk in details.get("disks", []) if disk.get("source"))
    return used


def clean_cache(conn, host: Host, *, max_age_hours: float) -> list[str]:
    """Remove cached files unused for `max_age_hours`; returns the removed volume names."""
    cutoff = timezone.now() - timedelta(hours=max_age_hours)
    used = paths_in_use(conn, host)
    removed = []
    for entry in CachedImage.objects.filter(host=host, last_used__lt=cutoff):
        path = images.volume_path(conn, settings.IMAGE_POOL_NAME, entry.volume)
        if path is not None and path in used:
            continue
        if path is not None:
            images.delete_paths(conn, [path])
        entry.delete()
        removed.append(entry.volume)
    return removed
