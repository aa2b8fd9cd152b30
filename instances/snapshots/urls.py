"""Snapshot pages of an instance (under instances/)."""

from django.urls import path

from instances.snapshots import views

urlpatterns = [
    path("<int:pk>/snapshots/new/", views.snapshot_create, name="snapshot-create"),
    path("<int:pk>/snapshots/image/", views.snapshot_image, name="snapshot-image"),
    path("<int:pk>/snapshots/<path:name>/revert/", views.snapshot_revert, name="snapshot-revert"),
    path("<int:pk>/snapshots/<path:name>/delete/", views.snapshot_delete, name="snapshot-delete"),
    path("<int:pk>/disk-snapshots/<str:target>/new/", views.disk_snapshot, name="disk-snapshot"),
    path("<int:pk>/disk-snapshots/<str:target>/commit/", views.disk_commit, name="disk-commit"),
]
