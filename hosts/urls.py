from django.urls import path

from hosts import views

urlpatterns = [
    path("", views.host_list, name="host-list"),
    path("<int:pk>/check/", views.host_check, name="host-check"),
]
