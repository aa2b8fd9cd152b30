"""The migrate page of an instance, and a host's maintenance (under instances/)."""

from django.urls import path

from instances.migration import views

urlpatterns = [
    path("<int:pk>/migrate/", views.migrate, name="instance-migrate"),
    path("maintenance/<int:host_pk>/start/", views.maintenance_start, name="host-maintenance-start"),
    path("maintenance/<int:host_pk>/end/", views.maintenance_end, name="host-maintenance-end"),
]
