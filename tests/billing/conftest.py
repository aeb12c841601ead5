from io import StringIO

import pytest
import responses
import stripe
from django.core.management import call_command
from djstripe.models import WebhookEndpoint

from billing.models import TokenPack
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
