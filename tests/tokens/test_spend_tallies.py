"""Daily spend tallies: each spend adds to its spender's row for the UTC day, limits read
them, and `ledger_audit` catches a tally that drifted from the entries."""

import pytest
from django.core.management import call_command

from tests.builders import funded_account, new_key
from tokens.models import SpendTally
from tokens.services import capture_hold, reserve_tokens, spend_tokens


def test_spends_add_up_per_spender_and_day(db):
    account = funded_account(20)
    for spender, amount in (("user:1", 3), ("user:1", 2), ("user:2", 4), ("", 1)):
        hold = reserve_tokens(account=account, amount=amount, idempotency_key=new_key(),
                              spender=spender)
        capture_hold(hold=hold)
    spend_tokens(account=account, amount=5, idempotency_key=new_key(), spender="user:2")

    tallies = dict(SpendTally.objects.filter(account=account)
                   .values_list("spender", "tokens"))
    assert tallies == {"user:1": 5, "user:2": 9, "": 1}


def test_the_audit_reports_a_tally_that_drifted(db):
    account = funded_account(5)
    spend_tokens(account=account, amount=2, idempotency_key=new_key(), spender="user:7")
    call_command("ledger_audit")  # healthy
    SpendTally.objects.filter(account=account).update(tokens=1)

    with pytest.raises(SystemExit):
        call_command("ledger_audit")
