from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    # allauth's `account` app is "Accounts" in the admin too; two sections of one name.
    verbose_name = "Users and visitors"

    def ready(self):
        from allauth.mfa.models import Authenticator

        from accounts import receivers  # connects the allauth signal receivers
        from accounts.models import BalanceAlert
        from accounts.notifications.selectors import OPEN_ALERTS
        from accounts.selectors import SECOND_FACTORS
        from accounts.teams.models import Membership, Organization
        from accounts.teams.selectors import TEAM_CHOICES
        from accounts.usage.describe import describe_account_references
        from accounts.webhooks.models import WebhookEndpoint
        from accounts.webhooks.selectors import ACTIVE_ENDPOINTS
        from tokens.references import register_describer

        register_describer("account:", describe_account_references)
        SECOND_FACTORS.follow(Authenticator)
        TEAM_CHOICES.follow(Membership, Organization)
        ACTIVE_ENDPOINTS.follow(WebhookEndpoint)
        OPEN_ALERTS.follow(BalanceAlert)

        post_migrate.connect(
            receivers.sync_site_on_migrate, sender=self, dispatch_uid="accounts.sync_site"
        )
