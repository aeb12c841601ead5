from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    # allauth's `account` app is "Accounts" in the admin too; two sections of one name.
    verbose_name = "Users and visitors"

    def ready(self):
        from accounts import receivers  # noqa: F401  (connects the allauth signal receivers)
