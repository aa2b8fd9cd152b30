from django.urls import path

from console import screen_views

urlpatterns = [
    path("<int:pk>/vnc/", screen_views.screen, {"kind": "vnc"}, name="console-vnc"),
    path("<int:pk>/spice/", screen_views.screen, {"kind": "spice"}, name="console-spice"),
]
