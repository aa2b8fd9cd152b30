"""Note, before the view reads anything, which live event a page starts from."""

from live.broadcast import current_seq


class LiveSeqMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and request.user.is_authenticated:
            request.live_seq = current_seq()
        return self.get_response(request)
