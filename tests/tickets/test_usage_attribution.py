"""Every ticket's hold and spend say what was bought and who spent (the usage, member-limit
and key-budget issues read them from the ledger)."""

import pytest

from tests.builders import funded_user, make_visitor, request_ticket
from tickets import services
from tokens.models import LedgerEntry

pytestmark = pytest.mark.django_db


def test_a_users_ticket_records_its_feature_and_spender(fake_openrouter):
    user = funded_user(5)
    ticket = request_ticket(user.token_account, owner=user, quality="advanced")
    assert (ticket.hold.feature_key, ticket.hold.spender) == ("ticket.advanced", f"user:{user.pk}")
    services.run_ticket_generation(ticket_id=ticket.pk)
    spend = LedgerEntry.objects.get(kind="spend", reference=ticket.reference)
    assert (spend.feature_key, spend.spender, spend.amount) == (
        "ticket.advanced", f"user:{user.pk}", -3,
    )


def test_a_visitors_ticket_names_the_visitor_as_spender(offline):
    visitor = make_visitor(ip="198.51.100.4")
    ticket = request_ticket(visitor.token_account, visitor=visitor)
    assert (ticket.hold.feature_key, ticket.hold.spender) == (
        "ticket.standard", f"visitor:{visitor.pk}",
    )
