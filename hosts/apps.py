from django.apps import AppConfig


class HostsConfig(AppConfig):
    name = "hosts"

    def ready(self):
        from hosts import operations  # noqa: F401  (registers the host operations)
        from hosts.access import job_authority
        from jobs.authority import register_authority

        register_authority("host", job_authority)  # jobs check their user again when they start
