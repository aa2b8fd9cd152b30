from django.urls import path

from instances import volume_views as views

urlpatterns = [
    path("attach/", views.disk_attach, name="disk-attach"),
    path("<str:target>/detach/", views.disk_detach, name="disk-detach"),
    path("<str:target>/grow/", views.disk_grow, name="disk-grow"),
    path("<str:target>/swap/", views.disk_swap, name="disk-swap"),
    path("<str:target>/media/", views.disk_media, name="disk-media"),
]
