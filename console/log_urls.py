from django.urls import path

from console import log_views

urlpatterns = [
    path("<int:pk>/", log_views.console_log, name="console-log"),
    path("<int:pk>/fetch/", log_views.console_log_fetch, name="console-log-fetch"),
    path("<int:pk>/download/<int:op_pk>/", log_views.console_log_download, name="console-log-download"),
]
