"""Guest agent pages of an instance (under instances/)."""

from django.urls import path

from instances.agent import views

urlpatterns = [
    path("<int:pk>/agent/password/", views.set_password, name="instance-set-password"),
]
