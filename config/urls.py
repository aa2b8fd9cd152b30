from django.contrib import admin
from django.urls import include, path

from config import views
from metrics.views import metrics as metrics_view

urlpatterns = [
    path("", views.home, name="home"),
    path("hosts/", include("hosts.urls")),
    path("hosts/<int:host_pk>/storage/", include("storage.urls")),
    path("hosts/<int:host_pk>/networks/", include("networks.urls")),
    path("instances/", include("instances.urls")),
    path("operations/", views.operation_list, name="operation-list"),
    path("operations/<int:pk>/", views.operation_detail, name="operation-detail"),
    path("operations/<int:pk>/stop/", views.operation_stop, name="operation-stop"),
    path("grants/", include("accounts.grant_urls")),
    path("console/", include("console.urls")),
    path("audit/", include("audit.urls")),
    path("charts/", include("stats.urls")),
    path("api/v1/", include("api.urls")),
    path("tokens/", include("api.token_urls")),
    path("metrics", metrics_view, name="metrics"),
    path("", include("accounts.urls")),  # login, logout, password; before admin/ (its login comes to ours)
    path("admin/", admin.site.urls),
]

handler500 = "config.errors.server_error"
handler404 = "config.errors.not_found"
