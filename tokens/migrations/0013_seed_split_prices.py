"""The prices of an epic and of each ticket a split makes (issue 16): an epic costs what a
ticket of its quality costs, and each of its stories (or a story's sub-tasks) the same again.
Staff change them in the admin like every price."""

from django.db import migrations

PRICES = [
    ("ticket.epic.standard", 1, "A Standard epic"),
    ("ticket.epic.advanced", 2, "An Advanced epic"),
    ("ticket.epic_child.standard", 1, "Each story or sub-task of a Standard split"),
    ("ticket.epic_child.advanced", 2, "Each story or sub-task of an Advanced split"),
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
        ("tokens", "0012_spend_tallies"),
    ]

    operations = [
        migrations.RunPython(seed_prices, unseed_prices),
    ]
