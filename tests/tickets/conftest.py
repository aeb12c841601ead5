"""Fixtures for tickets: a fake OpenRouter on 127.0.0.1, funded accounts, ledger checks."""

import uuid

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.factories import UserFactory
from tickets import services
from tickets.models import Ticket
from tokens.models import LedgerEntry, Price, TokenAccount
from tokens.services import grant_tokens, open_account

from .fake_openrouter import FakeOpenRouter

PRIMARY = "openai/gpt-oss-20b"
FALLBACK = "fallback/model-b"
ADVANCED = "test/advanced-model"

DESCRIPTION = (
    "Customers need to download their invoices as PDF so that their accountant can file "
    "them without asking support for copies."
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and per-network counters live in the shared cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def prices():
    """The seeded ticket prices (a transactional test's flush removes migration data)."""
    for key, tokens in (("ticket.standard", 1), ("ticket.advanced", 3)):
        Price.objects.get_or_create(
            feature_key=key, defaults={"tokens": tokens, "label": key, "active": True}
        )


@pytest.fixture
def offline(settings, prices):
    """No AI key: every ticket comes from the offline generator."""
    settings.OPENROUTER_API_KEY = ""
    return settings


@pytest.fixture
def fake_openrouter(settings, prices):
    """A local OpenAI-compatible server wired in as OpenRouter, with fast retries."""
    server = FakeOpenRouter().start()
    settings.OPENROUTER_API_KEY = "test-key"
    settings.OPENROUTER_BASE_URL = server.base_url
    settings.OPENROUTER_MODEL_STANDARD = PRIMARY
    settings.OPENROUTER_FALLBACKS_STANDARD = [FALLBACK]
    settings.OPENROUTER_MODEL_ADVANCED = ADVANCED
    settings.OPENROUTER_FALLBACKS_ADVANCED = [FALLBACK]
    settings.OPENROUTER_CONNECT_TIMEOUT = 1
    settings.OPENROUTER_READ_TIMEOUT = 0.5
    settings.OPENROUTER_MAX_RETRIES = 2
    settings.OPENROUTER_BACKOFF_SECONDS = 0.01
    settings.OPENROUTER_RETRY_AFTER_MAX = 0.05
    settings.TICKETS_OFFLINE_FALLBACK = False
    yield server
    server.stop()


def funded_account(tokens: int = 5) -> TokenAccount:
    account = open_account(label="test")
    if tokens:
        grant_tokens(account=account, amount=tokens, kind="promo",
                     idempotency_key=f"test:{uuid.uuid4()}")
    account.refresh_from_db()
    return account


def funded_user(tokens: int = 5):
    user = UserFactory()
    user.token_account = funded_account(tokens)
    user.save(update_fields=["token_account"])
    return user


def request_ticket(account, *, owner=None, visitor=None, nonce=None, quality="standard",
                   ticket_type="story", description=DESCRIPTION) -> Ticket:
    return services.request_ticket_generation(
        account=account,
        owner=owner,
        visitor=visitor,
        ticket_type=ticket_type,
        quality=quality,
        description=description,
        nonce=nonce or uuid.uuid4(),
    )


def spends_for(ticket: Ticket):
    return LedgerEntry.objects.filter(reference=ticket.reference, kind="spend")


def assert_ledger_healthy() -> None:
    """`ledger_audit` exits 0 (it calls sys.exit(1) on any drift)."""
    call_command("ledger_audit")


def assert_charged_once(ticket: Ticket, account: TokenAccount, start_balance: int) -> None:
    account.refresh_from_db()
    ticket.hold.refresh_from_db()
    assert ticket.hold.status == "captured"
    assert spends_for(ticket).count() == 1
    assert spends_for(ticket).get().amount == -ticket.cost
    assert (account.balance, account.held) == (start_balance - ticket.cost, 0)
    assert_ledger_healthy()


def assert_not_charged(ticket: Ticket, account: TokenAccount, start_balance: int) -> None:
    account.refresh_from_db()
    ticket.hold.refresh_from_db()
    assert ticket.hold.status in ("released", "expired")
    assert not spends_for(ticket).exists()
    assert (account.balance, account.held) == (start_balance, 0)
    assert_ledger_healthy()


@pytest.fixture
def user_with_tokens(db):
    return funded_user(5)
