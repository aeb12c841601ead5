from django.db import migrations

PRICES = [
    ("ticket.standard", 1, "Standard ticket"),
    ("ticket.advanced", 3, "Advanced ticket"),
]


def seed_prices(apps, schema_editor):
    Price = apps.get_model("tokens", "Price")
    for feature_key, tokens, label in PRICES:
        Price.objects.get_or_create(
            feature_key=feature_key, defaults={"tokens": tokens, "label": label, "active": True}
        )


def unseed_prices(apps, schema_editor):
    Price = apps.get_model("tokens", "Price")
    Price.objects.filter(feature_key__in=[key for key, _, _ in PRICES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("tokens", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed_prices, unseed_prices),
    ]
