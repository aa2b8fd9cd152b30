from django.urls import include, path

from instances import views

urlpatterns = [
    path("", views.instance_list, name="instance-list"),
    path("new/", views.instance_create, name="instance-create"),
    path("<int:pk>/", views.instance_detail, name="instance-detail"),
    path("", include("instances.lifecycle.urls")),
    path("", include("instances.agent.urls")),
    path("", include("instances.disks.urls")),
    path("", include("instances.firewall.urls")),
    path("", include("instances.snapshots.urls")),
    path("", include("instances.nics.urls")),
]
