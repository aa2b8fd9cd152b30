from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from audit import signals  # noqa: F401  (logins, failed logins and logouts are recorded)
