from django.urls import path

from console import serial_views

urlpatterns = [path("<int:pk>/", serial_views.serial, name="console-serial")]
