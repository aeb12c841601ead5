from django.apps import AppConfig


class BonusesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bonuses"
    verbose_name = "Daily bonus"

    def ready(self):
        from accounts.usage.exports import register_data_section
        from bonuses.selectors import user_bonus_data

        register_data_section("daily_bonus", user_bonus_data)
