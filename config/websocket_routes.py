"""Every websocket route, in one list: the ASGI router serves it and the permission matrix
(tests/test_permission_matrix.py) requires a row for each name in it."""

from console.routing import websocket_urlpatterns as console_routes
from live.routing import websocket_urlpatterns as live_routes

websocket_urlpatterns = live_routes + console_routes
