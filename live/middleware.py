"""Note, before the view reads anything, which live event a page starts from. With Redis away
the page still renders, without live updates, and says so (request.live_down)."""

import logging

from redis.exceptions import RedisError

from live.broadcast import current_seq

log = logging.getLogger(__name__)


class LiveSeqMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.live_down = False
        if request.method == "GET" and request.user.is_authenticated:
            try:
                request.live_seq = current_seq()
            except RedisError as error:
                log.warning("Redis does not answer (%s): page served without live updates", error)
                request.live_seq, request.live_down = None, True
        return self.get_response(request)
