from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("hosts/", include("hosts.urls")),
    path("hosts/<int:host_pk>/storage/", include("storage.urls")),
    path("hosts/<int:host_pk>/networks/", include("networks.urls")),
    path("instances/", include("instances.urls")),
    path("operations/", include("jobs.urls")),
    path("console/screen/", include("console.screen_urls")),
    path("console/", include("console.urls")),
    path("console/log/", include("console.log_urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
