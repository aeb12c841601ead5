from io import StringIO

import pytest
import responses
import stripe
from django.core.management import call_command
from djstripe.models import WebhookEndpoint

from billing.models import PlanSubscription, Purchase, SubscriptionPlan, TokenPack
from billing.services import create_checkout_session
from billing.services.subscriptions.lifecycle import start_subscription
from tests.billing.stripe_billing import StripeBilling
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
def synced_catalog(fake_stripe, packs, plans):
    call_command("sync_stripe_catalog", stdout=StringIO())
    return {pack.slug: pack for pack in TokenPack.objects.all()}


@pytest.fixture
def synced_plans(synced_catalog):
    return {plan.slug: plan for plan in SubscriptionPlan.objects.all()}


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


def without_trial(plans, *slugs) -> None:
    """These plans start paid at once (the seeded plans have a 7-day trial)."""
    for slug in slugs:
        plans[slug].trial_days = plans[slug].trial_tokens = 0
        plans[slug].save()


class Subscriber:
    """A customer's subscription driven through Stripe Billing's events (the fake's clock,
    signed webhooks posted to dj-stripe): subscribe, then each step's events delivered —
    each `repeat` times as distinct events (Stripe can send the same change twice) and, with
    `shuffle`, in any order within the step (Stripe does not order events)."""

    def __init__(self, fake_stripe, plans, user, webhooks, *, rng=None, on_commit=None):
        self.fake, self.plans, self.user, self.webhooks = fake_stripe, plans, user, webhooks
        self.clock = StripeBilling(fake_stripe)
        self.rng = rng
        # pytest-django's `django_capture_on_commit_callbacks`: after-commit work (emails,
        # closing other checkouts) runs as it would after a real commit.
        self.on_commit = on_commit
        self.subscription_id = ""

    def open(self, slug: str) -> str:
        """Start Checkout for plan `slug`; returns the session id."""
        redirect = start_subscription(user=self.user, plan=self.plans[slug],
                                      base_url="https://myba.example")
        assert redirect.kind == "checkout"
        return redirect.url.rsplit("/", 1)[-1].split("#")[0]

    def deliver(self, events: list[tuple], *, repeat: int = 1) -> None:
        expanded = []
        for type_, obj in events:
            copies = self.rng.randint(1, repeat) if self.rng and repeat > 1 else repeat
            expanded += [self.fake.event(type_, obj) for _ in range(copies)]
        if self.rng is not None:
            self.rng.shuffle(expanded)
        for event in expanded:
            if self.on_commit is None:
                response = self.webhooks.post(event)
            else:
                with self.on_commit(execute=True):
                    response = self.webhooks.post(event)
            assert response.status_code == 200, (event["type"], response.content[:500])

    def subscribe(self, slug: str, *, promotion_code: str = "", **delivery) -> PlanSubscription:
        """Pay for plan `slug` on Stripe's page (typing `promotion_code`, a code's Stripe id,
        if given)."""
        session_id = self.open(slug)
        if promotion_code:
            self.fake.redeem(self.fake.objects[session_id], self.fake.objects[promotion_code])
        events = self.clock.complete_checkout(session_id)
        self.subscription_id = events[0][1]["id"]
        self.deliver(events, **delivery)
        return self.row()

    def step(self, events: list[tuple], **delivery) -> PlanSubscription:
        self.deliver(events, **delivery)
        return self.row()

    def row(self) -> PlanSubscription | None:
        return PlanSubscription.objects.filter(
            stripe_subscription_id=self.subscription_id).first()


@pytest.fixture
def subscriber(fake_stripe, synced_plans, buyer, webhooks, tasks_inline,
               django_capture_on_commit_callbacks):
    return Subscriber(fake_stripe, synced_plans, buyer, webhooks,
                      on_commit=django_capture_on_commit_callbacks)
