from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # The admin's own login form is not throttled: send it to ours (included before admin/).
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin-login"),
]
