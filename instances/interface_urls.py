from django.urls import path

from instances import interface_views as views

urlpatterns = [
    path("attach/", views.interface_attach, name="interface-attach"),
    path("<str:mac>/detach/", views.interface_detach, name="interface-detach"),
    path("<str:mac>/link/<str:state>/", views.interface_link, name="interface-link"),
]
