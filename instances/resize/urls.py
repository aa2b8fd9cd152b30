"""The resize page of an instance (under instances/)."""

from django.urls import path

from instances.resize import views

urlpatterns = [
    path("<int:pk>/resize/", views.resize, name="instance-resize"),
    path("<int:pk>/grow/", views.grow, name="instance-grow"),
]
