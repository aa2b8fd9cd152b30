"""The clone page of an instance (under instances/)."""

from django.urls import path

from instances.clone import views

urlpatterns = [path("<int:pk>/clone/", views.clone, name="instance-clone")]
