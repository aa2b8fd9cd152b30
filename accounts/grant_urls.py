from django.urls import path

from accounts import grant_views

urlpatterns = [
    path("", grant_views.grant_list, name="grant-list"),
    path("<int:pk>/delete/", grant_views.grant_delete, name="grant-delete"),
]
