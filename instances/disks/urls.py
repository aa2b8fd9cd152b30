"""Disk pages of an instance (under instances/)."""

from django.urls import path

from instances.disks import views

urlpatterns = [
    path("<int:pk>/disks/attach/", views.disk_attach, name="disk-attach"),
    path("<int:pk>/disks/<str:target>/detach/", views.disk_detach, name="disk-detach"),
    path("<int:pk>/disks/<str:target>/grow/", views.disk_grow, name="disk-grow"),
    path("<int:pk>/disks/<str:target>/swap/", views.disk_swap, name="disk-swap"),
    path("<int:pk>/disks/<str:target>/media/", views.disk_media, name="disk-media"),
]
