from django.apps import AppConfig


class TokensConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tokens"

    def ready(self):
        from django.db.models import Field

        from tokens.lookups import AnyOf

        Field.register_lookup(AnyOf)
