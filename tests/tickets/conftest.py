"""Helpers for tickets tests: funded accounts and users, requests, ledger checks (the fake
OpenRouter and price fixtures are shared, in tests/conftest.py)."""

import uuid

import pytest
from django.core.management import call_command

from tests.conftest import ADVANCED, FALLBACK, PRIMARY  # noqa: F401 - re-exported for tests
from tests.factories import UserFactory
from tickets import services
from tickets.models import Ticket
from tokens.models import LedgerEntry, TokenAccount
from tokens.services import grant_tokens, open_account

DESCRIPTION = (
    "Customers need to download their invoices as PDF so that their accountant can file "
    "them without asking support for copies."
)


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
