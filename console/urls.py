from django.urls import path

from console import views

urlpatterns = [
    path("<int:pk>/<str:kind>/ticket/", views.console_ticket, name="console-ticket"),
]
