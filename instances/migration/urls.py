"""The migrate page of an instance (under instances/)."""

from django.urls import path

from instances.migration import views

urlpatterns = [path("<int:pk>/migrate/", views.migrate, name="instance-migrate")]
