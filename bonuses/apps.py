from django.apps import AppConfig


class BonusesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bonuses"
    verbose_name = "Daily bonus"
