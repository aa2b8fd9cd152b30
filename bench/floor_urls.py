"""The console's URLs plus an empty view, asked without a session: what any request costs
through the server and middleware before a page reads anything."""

from django.http import HttpResponse
from django.urls import include, path


def empty(request):
    return HttpResponse("")


urlpatterns = [path("bench/empty/", empty), path("", include("config.urls"))]
