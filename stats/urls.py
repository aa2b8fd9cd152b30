from django.urls import path

from stats import views

urlpatterns = [
    path("instances/<int:pk>/", views.instance_charts, name="instance-charts"),
    path("hosts/<int:pk>/", views.host_charts, name="host-charts"),
]
