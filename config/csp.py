"""The Content-Security-Policy header on every response (settings.CONTENT_SECURITY_POLICY).

Scripts only from our own static files (no inline script, no inline event handlers, no eval); styles
may be inline (htmx, noVNC and xterm.js set them); websockets may go to the console proxy, which
can listen on another port of the same host (or wherever CONSOLE_PROXY_URL points).
"""

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    def process_response(self, request, response):
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and HEADER not in response:
            response[HEADER] = policy
        return response
