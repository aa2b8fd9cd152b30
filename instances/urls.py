"""Instance URLs: the list and the instance page, then each feature's own urls.py (paths from instances/)."""

from django.urls import include, path

from instances import views

urlpatterns = [
    path("", views.instance_list, name="instance-list"),
    path("<int:pk>/", views.instance_detail, name="instance-detail"),
    path("", include("instances.build.urls")),
    path("", include("instances.lifecycle.urls")),
    path("", include("instances.disks.urls")),
    path("", include("instances.nics.urls")),
    path("", include("instances.firewall.urls")),
    path("", include("instances.snapshots.urls")),
    path("", include("instances.agent.urls")),
    path("", include("instances.migration.urls")),
    path("", include("instances.resize.urls")),
    path("", include("instances.clone.urls")),
    path("", include("instances.evacuation.urls")),
    path("", include("instances.guest_type.urls")),
    path("", include("instances.images.urls")),
]
