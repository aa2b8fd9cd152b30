"""The evacuate page of a host (under instances/)."""

from django.urls import path

from instances.evacuation import views

urlpatterns = [
    path("evacuate/<int:host_pk>/", views.evacuate, name="host-evacuate"),
]
