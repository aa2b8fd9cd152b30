from django.urls import path

from instances import snapshot_views as views

urlpatterns = [
    path("snapshots/new/", views.snapshot_create, name="snapshot-create"),
    path("snapshots/image/", views.snapshot_image, name="snapshot-image"),
    path("snapshots/<path:name>/revert/", views.snapshot_revert, name="snapshot-revert"),
    path("snapshots/<path:name>/delete/", views.snapshot_delete, name="snapshot-delete"),
    path("disk-snapshots/<str:target>/new/", views.disk_snapshot, name="disk-snapshot"),
    path("disk-snapshots/<str:target>/commit/", views.disk_commit, name="disk-commit"),
]
