"""The action URL of an instance (under instances/): one for every action of the table."""

from django.urls import path

from instances.lifecycle import views

urlpatterns = [
    path("<int:pk>/action/<str:name>/", views.instance_action, name="instance-action"),
]
