"""The firewall page of an instance (under instances/)."""

from django.urls import path

from instances.firewall import views

urlpatterns = [
    path("<int:pk>/firewall/", views.nic_firewall, name="nic-firewall"),
]
