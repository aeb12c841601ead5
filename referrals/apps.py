from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        from accounts.usage.exports import register_data_section
        from referrals import receivers  # noqa: F401  connects sign-up, purchase, ticket signals
        from referrals.models import Referral
        from referrals.selectors import AWAITING, user_referral_data

        register_data_section("referrals", user_referral_data)
        AWAITING.follow(Referral)
