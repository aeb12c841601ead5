import importlib
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from djstripe.models import WebhookEndpoint

from billing.models import SubscriptionPlan, TokenPack


def test_seed_migration_creates_the_three_packs(db):
    # Transactional tests elsewhere flush seeded rows, so run the seed step itself.
    TokenPack.objects.all().delete()
    seed = importlib.import_module("billing.migrations.0002_seed_packs")
    seed.seed_packs(django_apps, None)
    seed.seed_packs(django_apps, None)  # idempotent
    packs = {p.slug: (p.name, p.tokens, p.currency) for p in TokenPack.objects.all()}
    assert packs == {
        "starter": ("Starter", 10, "usd"),
        "professional": ("Professional", 50, "usd"),
        "enterprise": ("Enterprise", 200, "usd"),
    }
    for pack in TokenPack.objects.all():
        assert pack.price_cents > 0


def test_seed_migration_creates_monthly_and_yearly_plans(db):
    SubscriptionPlan.objects.all().delete()
    seed = importlib.import_module("billing.migrations.0009_seed_plans")
    seed.seed_plans(django_apps, None)
    seed.seed_plans(django_apps, None)  # idempotent
    plans = {p.slug: (p.interval, p.tokens_per_month, p.price_cents, p.rollover_cap)
             for p in SubscriptionPlan.objects.all()}
    assert plans == {
        "basic-monthly": ("month", 50, 1500, 25), "basic-yearly": ("year", 50, 15000, 25),
        "pro-monthly": ("month", 200, 4500, 100), "pro-yearly": ("year", 200, 45000, 100),
    }


def test_sync_creates_products_prices_and_coupon_then_changes_nothing(fake_stripe, packs,
                                                                      plans):
    out = StringIO()
    call_command("sync_stripe_catalog", stdout=out)
    assert "Stripe catalog updated." in out.getvalue()
    assert len(fake_stripe.posts("/v1/products")) == 3 + 4
    assert len(fake_stripe.posts("/v1/prices")) == 3 + 4
    for plan in SubscriptionPlan.objects.all():
        price = fake_stripe.objects[plan.stripe_price_id]
        assert (price["recurring"]["interval"], price["unit_amount"], price["metadata"]) == (
            plan.interval, plan.price_cents,
            {"plan": plan.slug, "tokens_per_month": str(plan.tokens_per_month)})
        assert plan.stripe_product_id == f"myba-plan-{plan.slug}"
    assert len(fake_stripe.posts("/v1/coupons")) == 1
    linked = {p.slug: (p.stripe_product_id, p.stripe_price_id) for p in TokenPack.objects.all()}
    for slug, (product_id, price_id) in linked.items():
        assert product_id == f"myba-pack-{slug}"
        price = fake_stripe.objects[price_id]
        assert price["unit_amount"] == TokenPack.objects.get(slug=slug).price_cents
        assert price["lookup_key"] == f"myba-pack-{slug}-usd"
    coupon = fake_stripe.objects["myba-first-purchase-20pct"]
    assert coupon["percent_off"] == 20 and coupon["duration"] == "once"

    posts_before = len([c for c in fake_stripe.calls if c[0] == "POST"])
    out = StringIO()
    call_command("sync_stripe_catalog", stdout=out)
    assert "Stripe catalog up to date." in out.getvalue()
    assert len([c for c in fake_stripe.calls if c[0] == "POST"]) == posts_before
    assert linked == {
        p.slug: (p.stripe_product_id, p.stripe_price_id) for p in TokenPack.objects.all()
    }


def test_sync_after_a_price_change_moves_the_lookup_key_to_a_new_price(fake_stripe, packs):
    call_command("sync_stripe_catalog", stdout=StringIO())
    pack = TokenPack.objects.get(slug="starter")
    old_price = pack.stripe_price_id
    TokenPack.objects.filter(pk=pack.pk).update(price_cents=700)
    call_command("sync_stripe_catalog", stdout=StringIO())
    pack.refresh_from_db()
    assert pack.stripe_price_id != old_price
    assert fake_stripe.objects[pack.stripe_price_id]["unit_amount"] == 700
    assert fake_stripe.objects[old_price]["active"] is False
    new_price = fake_stripe.posts("/v1/prices")[-2]
    assert new_price["transfer_lookup_key"] == "true"


def test_sync_without_keys_explains_what_to_set(db, settings):
    settings.STRIPE_TEST_SECRET_KEY = ""
    with pytest.raises(CommandError, match="STRIPE_TEST_SECRET_KEY"):
        call_command("sync_stripe_catalog")


def test_stripe_cli_endpoint_registers_the_listen_secret(db):
    out = StringIO()
    call_command("stripe_cli_endpoint", "--secret", "whsec_cli_one", stdout=out)
    call_command("stripe_cli_endpoint", "--secret", "whsec_cli_two", stdout=StringIO())

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == "whsec_cli_two"
    assert endpoint.url.endswith(f"/stripe/webhook/{endpoint.djstripe_uuid}/")
    assert f"stripe listen --forward-to {endpoint.url}" in out.getvalue()
    with pytest.raises(CommandError, match="whsec_"):
        call_command("stripe_cli_endpoint", "--secret", "sk_test_oops")
