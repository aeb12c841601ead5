"""A visitor signs up or signs in while their generation is still running (issue #11 §1).

The provider call is held open on the fake OpenRouter while the visitor's browser signs up
or in through allauth's real views; a worker thread with its own PostgreSQL connection runs
the generation. The held token must follow the visitor to the account: charged there once
when the ticket succeeds, given back there when it fails, and never lost.
"""

import threading

import pytest
from django.contrib.auth import get_user_model

from accounts.models import AnonymousVisitor
from tests.builders import ticket_form
from tests.helpers import assert_ledger_healthy, balance_of, in_thread, sign_in, sign_up
from tests.tickets.fake_openrouter import held, server_error
from tickets import services
from tickets.models import Ticket
from tokens.models import Hold, LedgerEntry, TokenAccount

User = get_user_model()
pytestmark = pytest.mark.django_db(transaction=True)


def start_generation_as_visitor(client) -> Ticket:
    response = client.post("/tickets/new/", ticket_form())
    assert response.status_code == 302, response.content.decode()[-2000:]
    return Ticket.objects.get()


@pytest.fixture
def provider_on_hold(fake_openrouter, settings):
    """The fake OpenRouter answers only when the test says so; returns the gate."""
    settings.OPENROUTER_READ_TIMEOUT = 20
    gate = threading.Event()
    return fake_openrouter, gate


def generate_while(client, fake, gate, *, fails: bool, act) -> Ticket:
    """Start a generation as a visitor, run `act` while the provider call is in flight."""
    fake.default = held(gate, server_error(400) if fails else None)
    ticket = start_generation_as_visitor(client)
    worker, _ = in_thread(lambda: services.run_ticket_generation(ticket_id=ticket.pk))
    try:
        assert fake.in_flight.wait(10), "the generation never reached the provider"
        assert Ticket.objects.get(pk=ticket.pk).status == "running"
        act()
    finally:
        gate.set()
        worker.join(20)
    assert not worker.is_alive()
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize("fails", [False, True], ids=["ticket succeeds", "ticket fails"])
def test_signing_up_mid_generation_keeps_the_held_token(client, provider_on_hold, fails):
    fake, gate = provider_on_hold
    pages = []
    ticket = generate_while(
        client, fake, gate, fails=fails,
        act=lambda: pages.append(sign_up(client, "mid@example.com").content.decode()),
    )

    user = User.objects.get(email="mid@example.com")
    # The free trial had 3 tokens: 2 were free to spend at sign-up, 1 was held.
    assert "Welcome! 6 tokens added, plus 2 carried over from your free trial." in pages[0]
    hold = Hold.objects.get(pk=ticket.hold_id)
    assert hold.account_id == user.token_account_id
    assert (ticket.owner_id, ticket.token_account_id) == (user.pk, user.token_account_id)
    if fails:
        assert (ticket.status, hold.status) == ("failed", "released")
        assert balance_of(user.token_account) == 9
        assert not LedgerEntry.objects.filter(kind="spend").exists()
    else:
        assert (ticket.status, hold.status) == ("succeeded", "captured")
        assert balance_of(user.token_account) == 8
        spend = LedgerEntry.objects.get(kind="spend")
        assert (spend.account_id, spend.amount) == (user.token_account_id, -1)
        assert spend.reference == ticket.reference
    visitor = AnonymousVisitor.objects.get()
    closed = TokenAccount.objects.get(pk=visitor.token_account_id)
    assert (closed.balance, closed.held, closed.closed_at is not None) == (0, 0, True)
    page = client.get(f"/tickets/{ticket.public_id}/")
    assert page.status_code == 200
    assert_ledger_healthy()


@pytest.mark.parametrize("fails", [False, True], ids=["ticket succeeds", "ticket fails"])
def test_signing_in_mid_generation_keeps_the_held_token(
    client, provider_on_hold, verified_user, fails
):
    from accounts.services import get_or_open_user_account

    fake, gate = provider_on_hold
    account = get_or_open_user_account(user=verified_user)
    ticket = generate_while(
        client, fake, gate, fails=fails, act=lambda: sign_in(client, verified_user.email)
    )

    hold = Hold.objects.get(pk=ticket.hold_id)
    assert hold.account_id == account.pk
    assert ticket.owner_id == verified_user.pk
    assert ticket.status == ("failed" if fails else "succeeded")
    # 3 free tokens carried over; the held one charged (success) or given back (failure).
    assert balance_of(account) == (3 if fails else 2)
    assert_ledger_healthy()
