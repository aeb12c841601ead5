from io import StringIO

import pytest
import responses
import stripe
from django.core.management import call_command
from djstripe.models import WebhookEndpoint

from billing.models import Purchase, TokenPack
from billing.services import create_checkout_session
from tests.billing.stripe_fake import API_VERSION, FakeStripe, Webhooks
from tests.builders import make_verified_user

TEST_SECRET_KEY = "sk_test_" + "51MyBATestKey0123456789abcdefXYZ"
WEBHOOK_SECRET = "whsec_test_3f9c0a1b2c3d4e5f60718293a4b5c6d7"


@pytest.fixture
def stripe_keys(settings):
    """Stripe configured in test mode (keys must look real: sk_test_ + 24+ characters)."""
    settings.STRIPE_TEST_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_LIVE_MODE = False
    settings.DEBUG = False
    retries = stripe.max_network_retries
    stripe.max_network_retries = 0
    yield settings
    stripe.max_network_retries = retries


@pytest.fixture
def fake_stripe(stripe_keys):
    fake = FakeStripe()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield fake


@pytest.fixture
def synced_catalog(fake_stripe, packs):
    call_command("sync_stripe_catalog", stdout=StringIO())
    return {pack.slug: pack for pack in TokenPack.objects.all()}


@pytest.fixture
def webhook_endpoint(db):
    return WebhookEndpoint.objects.create(
        id="we_1MyBATestEndpoint",
        livemode=False,
        url="https://myba.example/stripe/webhook/",
        secret=WEBHOOK_SECRET,
        enabled_events=["*"],
        status="enabled",
        api_version=API_VERSION,
    )


@pytest.fixture
def buyer(db):
    """A signed-up customer with a verified email."""
    return make_verified_user()


@pytest.fixture
def webhooks(client, webhook_endpoint):
    return Webhooks(client, webhook_endpoint)



class StripeCheckouts:
    """A customer's checkouts driven through Stripe's own events (the fake Stripe, signed
    webhooks): open one, pay it, refund (part of) it, let it expire."""

    def __init__(self, fake_stripe, catalog, user, webhooks):
        self.fake, self.catalog, self.user, self.webhooks = fake_stripe, catalog, user, webhooks

    def open(self, slug: str) -> Purchase:
        return create_checkout_session(
            user=self.user, pack=self.catalog[slug], base_url="https://myba.example"
        ).purchase

    def deliver(self, type_: str, obj: dict) -> None:
        assert self.webhooks.post(self.fake.event(type_, obj)).status_code == 200

    def pay(self, purchase: Purchase) -> Purchase:
        self.deliver("checkout.session.completed",
                     self.fake.complete_session(purchase.stripe_checkout_session_id))
        return Purchase.objects.get(pk=purchase.pk)

    def refund(self, purchase: Purchase, amount: int | None = None) -> Purchase:
        charge_id = self.fake.objects[purchase.stripe_payment_intent_id]["latest_charge"]
        self.deliver("charge.refunded", self.fake.refund(charge_id, amount))
        return Purchase.objects.get(pk=purchase.pk)

    def expire(self, purchase: Purchase) -> Purchase:
        session = self.fake.objects[purchase.stripe_checkout_session_id]
        session["status"] = "expired"
        self.deliver("checkout.session.expired", session)
        return Purchase.objects.get(pk=purchase.pk)


@pytest.fixture
def checkouts(fake_stripe, synced_catalog, buyer, webhooks):
    return StripeCheckouts(fake_stripe, synced_catalog, buyer, webhooks)


@pytest.fixture
def purchase_history(checkouts):
    """The buyer's checkouts in every state: `abandoned` (the discounted $4.00 Starter,
    expired unpaid), `partly_refunded` (Professional, $16.00 with $8.00 back), `refunded`
    (Enterprise, $60.00 all back), `paid` (Starter, $5.00) and `open` (Professional, $20.00,
    not paid yet). Returns them by those names."""
    return {
        "abandoned": checkouts.expire(checkouts.open("starter")),
        "partly_refunded": checkouts.refund(checkouts.pay(checkouts.open("professional")), 800),
        "refunded": checkouts.refund(checkouts.pay(checkouts.open("enterprise"))),
        "paid": checkouts.pay(checkouts.open("starter")),
        "open": checkouts.open("professional"),
    }
