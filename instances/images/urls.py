"""The Images page (under instances/)."""

from django.urls import path

from instances.images import views

urlpatterns = [
    path("images/", views.image_list, name="image-list"),
    path("images/upload/", views.image_upload, name="image-upload"),
    path("images/import/", views.image_import, name="image-import"),
]
