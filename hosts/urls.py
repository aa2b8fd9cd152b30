from django.urls import path

from hosts import views

urlpatterns = [
    path("", views.host_list, name="host-list"),
    path("add/", views.host_add, name="host-add"),
    path("<int:pk>/", views.host_detail, name="host-detail"),
    path("<int:pk>/edit/", views.host_edit, name="host-edit"),
    path("<int:pk>/delete/", views.host_delete, name="host-delete"),
    path("<int:pk>/check/", views.host_check, name="host-check"),
]
