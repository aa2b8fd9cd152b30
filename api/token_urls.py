"""Your API tokens page (under tokens/)."""

from django.urls import path

from api import token_views

urlpatterns = [
    path("", token_views.tokens, name="api-tokens"),
    path("<int:pk>/revoke/", token_views.revoke, name="api-token-revoke"),
]
