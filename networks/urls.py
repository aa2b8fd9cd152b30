from django.urls import path

from networks import views

NETWORK = "<str:name>/"
FILTER = "filters/<str:name>/"

urlpatterns = [
    path("", views.network_list, name="network-list"),
    path("create/", views.network_create, name="network-create"),
    path(NETWORK + "start/", views.network_start, name="network-start"),
    path(NETWORK + "stop/", views.network_stop, name="network-stop"),
    path(NETWORK + "autostart/", views.network_autostart, name="network-autostart"),
    path(NETWORK + "delete/", views.network_delete, name="network-delete"),
    path("filters/", views.nwfilter_list, name="nwfilter-list"),
    path("filters/define/", views.nwfilter_define, name="nwfilter-define"),
    path(FILTER + "undefine/", views.nwfilter_undefine, name="nwfilter-undefine"),
]
