from django.db import migrations

PACKS = [
    # slug, name, tokens, price in cents (USD), sort order
    ("starter", "Starter", 10, 500, 1),
    ("professional", "Professional", 50, 2000, 2),
    ("enterprise", "Enterprise", 200, 6000, 3),
]


def seed_packs(apps, schema_editor):
    TokenPack = apps.get_model("billing", "TokenPack")
    for slug, name, tokens, price_cents, sort_order in PACKS:
        TokenPack.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "tokens": tokens,
                "price_cents": price_cents,
                "currency": "usd",
                "sort_order": sort_order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed_packs, migrations.RunPython.noop)]
