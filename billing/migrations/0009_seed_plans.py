from django.db import migrations

PLANS = [
    # slug, name, interval, tokens a month, price in cents (USD) per interval, sort order
    ("basic-monthly", "Basic", "month", 50, 1500, 1),
    ("basic-yearly", "Basic yearly", "year", 50, 15000, 2),
    ("pro-monthly", "Pro", "month", 200, 4500, 3),
    ("pro-yearly", "Pro yearly", "year", 200, 45000, 4),
]


def seed_plans(apps, schema_editor):
    SubscriptionPlan = apps.get_model("billing", "SubscriptionPlan")
    for slug, name, interval, tokens, price_cents, sort_order in PLANS:
        SubscriptionPlan.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "interval": interval,
                "tokens_per_month": tokens,
                "price_cents": price_cents,
                "currency": "usd",
                "rollover_cap": tokens // 2,
                "trial_days": 7,
                "trial_tokens": 10,
                "sort_order": sort_order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_subscriptions")]

    operations = [migrations.RunPython(seed_plans, migrations.RunPython.noop)]
