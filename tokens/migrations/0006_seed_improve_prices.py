"""The price of "Improve" on a ticket (issue 13): 1 token for a Standard ticket, 2 for an
Advanced one. Staff change them in the admin like every price."""

from django.db import migrations

PRICES = [
    ("ticket.improve.standard", 1, "Improve a Standard ticket"),
    ("ticket.improve.advanced", 2, "Improve an Advanced ticket"),
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
        ("tokens", "0005_ledger_feature_and_spender"),
    ]

    operations = [
        migrations.RunPython(seed_prices, unseed_prices),
    ]
