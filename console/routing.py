"""Websocket routes of the consoles."""

from django.urls import path

from console.consumers import SerialConsumer

websocket_urlpatterns = [path("ws/instances/<int:pk>/serial/", SerialConsumer.as_asgi(), name="ws-serial")]
