from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and grants"

    def ready(self):
        from accounts import signals  # noqa: F401  (grant changes reach open pages)
        from accounts.visibility import events_filter
        from live.visibility import use

        use(events_filter)  # live events reach only who may see what they are about
