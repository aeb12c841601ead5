from django.apps import AppConfig


class GiftsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gifts"
    verbose_name = "Gifts"

    def ready(self):
        from accounts.usage.exports import register_data_section
        from gifts import receivers  # noqa: F401  connects the allauth and refund receivers
        from gifts.selectors import user_gift_data

        register_data_section("gifts", user_gift_data)
