"""Guest agent pages of an instance (included under instances/<pk>/agent/)."""

from django.urls import path

from instances import agent_views

urlpatterns = [
    path("password/", agent_views.set_password, name="instance-set-password"),
]
