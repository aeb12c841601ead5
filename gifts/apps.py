from django.apps import AppConfig


class GiftsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gifts"
    verbose_name = "Gifts"

    def ready(self):
        from gifts import receivers  # noqa: F401  connects the allauth receiver
