import json

import pytest
import responses
import stripe
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.urls import reverse
from djstripe.models import WebhookEndpoint

from billing.models import TokenPack
from tests.billing.stripe_fake import API_VERSION, FakeStripe, sign
from tests.factories import UserFactory

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


SEEDED_PACKS = [
    ("starter", "Starter", 10, 500),
    ("professional", "Professional", 50, 2000),
    ("enterprise", "Enterprise", 200, 6000),
]


@pytest.fixture
def packs(db):
    """The seeded packs (re-created after transactional tests flushed the seed data)."""
    for order, (slug, name, tokens, price) in enumerate(SEEDED_PACKS, start=1):
        TokenPack.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "tokens": tokens, "price_cents": price, "sort_order": order},
        )
    return {pack.slug: pack for pack in TokenPack.objects.all()}


@pytest.fixture
def synced_catalog(fake_stripe, packs):
    call_command("sync_stripe_catalog", stdout=open("/dev/null", "w"))  # noqa: SIM115
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


def make_verified_user(**kwargs):
    user = UserFactory(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def buyer(db):
    return make_verified_user()


class Webhooks:
    """Posts signed events to dj-stripe's real webhook endpoint."""

    def __init__(self, client, endpoint):
        self.client = client
        self.endpoint = endpoint

    @property
    def url(self):
        return reverse("djstripe:djstripe_webhook_by_uuid", args=[self.endpoint.djstripe_uuid])

    def post(
        self,
        event: dict,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        headers: dict | None = None,
    ):
        payload = json.dumps(event)
        signature = sign(payload, secret or self.endpoint.secret, timestamp)
        return self.client.post(
            self.url,
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature, **(headers or {})},
        )


@pytest.fixture
def webhooks(client, webhook_endpoint):
    return Webhooks(client, webhook_endpoint)
