"""The create page (under instances/)."""

from django.urls import path

from instances.build import views

urlpatterns = [
    path("new/", views.instance_create, name="instance-create"),
]
