from django.urls import path

from jobs import views

urlpatterns = [
    path("", views.operation_list, name="operation-list"),
    path("<int:pk>/", views.operation_detail, name="operation-detail"),
]
