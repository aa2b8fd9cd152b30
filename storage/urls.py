from django.urls import path

from storage import views

POOL = "pools/<str:pool>/"
VOLUME = POOL + "volumes/<str:volume>/"

urlpatterns = [
    path("", views.pool_list, name="storage-pools"),
    path("pools/define/", views.pool_define, name="storage-pool-define"),
    path(POOL + "start/", views.pool_start, name="storage-pool-start"),
    path(POOL + "stop/", views.pool_stop, name="storage-pool-stop"),
    path(POOL + "delete/", views.pool_delete, name="storage-pool-delete"),
    path(POOL + "volumes/create/", views.volume_create, name="storage-volume-create"),
    path(POOL + "volumes/upload/", views.volume_upload, name="storage-volume-upload"),
    path(VOLUME + "resize/", views.volume_resize, name="storage-volume-resize"),
    path(VOLUME + "delete/", views.volume_delete, name="storage-volume-delete"),
    path(VOLUME + "download/", views.volume_download, name="storage-volume-download"),
    path("downloads/<int:op_pk>/", views.download, name="storage-download"),
]
