"""manage_image_cache as an operation on one host: cached image files no instance has used for
IMAGE_CACHE_MAX_AGE hours are removed from its image pool."""

from django.conf import settings

from hosts.operation_support import host_connection, target_host
from instances.images.cache import clean_cache
from jobs.registry import operation


@operation("host.image_cache", label="Clean image cache")
def clean_image_cache(op, report):
    host = target_host(op)
    max_age = float(op.params.get("max_age_hours", settings.IMAGE_CACHE_MAX_AGE))
    with host_connection(op, report, "Looking for unused cached images") as conn:
        removed = clean_cache(conn, host, max_age_hours=max_age)
    message = f"Removed {len(removed)} unused cached image file(s)" if removed else "Nothing to remove"
    return {"removed": removed, "message": message}
