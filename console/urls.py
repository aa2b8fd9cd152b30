"""Console URLs (under console/): graphical consoles and their tickets, the serial console, the console log."""

from django.urls import path

from console import views

urlpatterns = [
    path("screen/<int:pk>/vnc/", views.screen, {"kind": "vnc"}, name="console-vnc"),
    path("screen/<int:pk>/spice/", views.screen, {"kind": "spice"}, name="console-spice"),
    path("<int:pk>/<str:kind>/ticket/", views.console_ticket, name="console-ticket"),
    path("serial/<int:pk>/", views.serial, name="console-serial"),
    path("log/<int:pk>/", views.console_log, name="console-log"),
    path("log/<int:pk>/fetch/", views.console_log_fetch, name="console-log-fetch"),
    path("log/<int:pk>/download/<int:op_pk>/", views.console_log_download, name="console-log-download"),
]
