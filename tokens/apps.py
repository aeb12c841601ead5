from django.apps import AppConfig


class TokensConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tokens"

    def ready(self):
        from django.db.models import Field

        from tokens.lookups import AnyOf
        from tokens.models import Price
        from tokens.selectors import PRICE_TABLE

        Field.register_lookup(AnyOf)
        PRICE_TABLE.follow(Price)
