"""Push a change to every open page: one group on the channel layer, JSON events."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

GROUP = "live"
log = logging.getLogger(__name__)


def broadcast(kind: str, data: dict) -> None:
    """Send `{"kind": kind, "data": data}` to every connected page. Never raises: a page that
    misses an event still shows the truth after a reload, a failed job must not fail for this."""
    try:
        async_to_sync(get_channel_layer().group_send)(GROUP, {"type": "live.event", "kind": kind, "data": data})
    except Exception:  # noqa: BLE001 - the channel layer is best effort by design
        log.warning("live update %s could not be sent", kind, exc_info=True)
