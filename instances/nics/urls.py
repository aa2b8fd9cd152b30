"""NIC pages of an instance (under instances/; the path keeps its first name, interfaces/)."""

from django.urls import path

from instances.nics import views

urlpatterns = [
    path("<int:pk>/interfaces/attach/", views.nic_attach, name="interface-attach"),
    path("<int:pk>/interfaces/<str:mac>/detach/", views.nic_detach, name="interface-detach"),
    path("<int:pk>/interfaces/<str:mac>/link/<str:state>/", views.nic_link, name="interface-link"),
]
