from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        from referrals import receivers  # noqa: F401  connects sign-up, purchase, ticket signals
