"""Closing an account never destroys a pending hold: it refuses, or the hold moves with the
tokens to a successor and settles there. Plus the ledger's feature and spender columns."""

import pytest

from tests.builders import funded_account, new_key
from tokens.exceptions import AccountClosed, InvalidOperation, PendingHolds
from tokens.models import Hold, HoldStatus, LedgerEntry, Lot, TokenAccount
from tokens.selectors import find_balance_mismatches, get_balance
from tokens.services import (
    capture_hold,
    close_account,
    lock_hold_account,
    release_hold,
    reserve_tokens,
    spend_tokens,
)

pytestmark = pytest.mark.django_db


def test_closing_an_account_with_work_in_progress_is_refused_and_changes_nothing():
    account = funded_account(5)
    hold = reserve_tokens(account=account, amount=2, idempotency_key=new_key())
    with pytest.raises(PendingHolds) as refused:
        close_account(account=account, reason="user deleted", idempotency_key=new_key())
    assert refused.value.held == 2
    assert get_balance(account) == (5, 2, 3)
    assert TokenAccount.objects.get(pk=account.pk).closed_at is None
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.PENDING
    capture_hold(hold=hold)
    entry = close_account(account=account, reason="user deleted", idempotency_key=new_key())
    assert (entry.kind, entry.amount) == ("adjustment", -3)
    assert find_balance_mismatches() == []


def test_closing_into_a_successor_moves_the_balance_and_the_pending_holds():
    visitor, user = funded_account(3), funded_account(6)
    hold = reserve_tokens(account=visitor, amount=1, idempotency_key=new_key())
    out_entry = close_account(
        account=visitor, successor=user, reason="carried over", idempotency_key="close:v1"
    )
    assert (out_entry.kind, out_entry.amount, out_entry.balance_after) == ("transfer_out", -3, 0)
    in_entry = LedgerEntry.objects.get(idempotency_key="close:v1:in")
    assert (in_entry.kind, in_entry.amount, in_entry.account_id) == ("transfer_in", 3, user.pk)
    assert in_entry.lot.source == "transferred" and in_entry.lot.expires_at is None
    assert get_balance(visitor) == (0, 0, 0)
    assert get_balance(user) == (9, 1, 8)
    assert Hold.objects.get(pk=hold.pk).account_id == user.pk
    assert find_balance_mismatches() == []
    # A repeat returns the first result and moves nothing more.
    again = close_account(account=visitor, successor=user, idempotency_key="close:v1")
    assert again.pk == out_entry.pk
    assert get_balance(user) == (9, 1, 8)


@pytest.mark.parametrize("settle", ["capture", "release"])
def test_a_moved_hold_settles_on_the_successor_even_through_a_stale_instance(settle):
    visitor, user = funded_account(3), funded_account(6)
    stale = reserve_tokens(account=visitor, amount=1, idempotency_key=new_key())
    close_account(account=visitor, successor=user, idempotency_key=new_key())
    assert stale.account_id == visitor.pk  # the caller's copy still names the old account
    if settle == "capture":
        entry = capture_hold(hold=stale)
        assert (entry.account_id, entry.amount, entry.balance_after) == (user.pk, -1, 8)
        assert get_balance(user) == (8, 0, 8)
    else:
        release_hold(hold=stale, reason="failed")
        assert get_balance(user) == (9, 0, 9)
    assert stale.account_id == user.pk
    assert get_balance(visitor) == (0, 0, 0)
    assert find_balance_mismatches() == []


def test_lock_hold_account_follows_a_moved_hold():
    visitor, user = funded_account(2), funded_account(1)
    hold = reserve_tokens(account=visitor, amount=2, idempotency_key=new_key())
    assert lock_hold_account(hold_id=hold.pk) == visitor.pk
    close_account(account=visitor, successor=user, idempotency_key=new_key())
    assert lock_hold_account(hold_id=hold.pk) == user.pk
    # Where the caller last saw it is only a first guess: the hold is followed to its account.
    assert lock_hold_account(hold_id=hold.pk, account_id=visitor.pk) == user.pk
    assert lock_hold_account(hold_id=hold.pk, account_id=user.pk) == user.pk
    assert lock_hold_account(hold_id=hold.pk + 10_000) is None
    assert lock_hold_account(hold_id=hold.pk + 10_000, account_id=user.pk) is None


def test_closing_into_itself_or_a_closed_account_is_refused():
    account, closed = funded_account(2), funded_account(0)
    close_account(account=closed, idempotency_key=new_key())
    with pytest.raises(InvalidOperation):
        close_account(account=account, successor=account, idempotency_key=new_key())
    with pytest.raises(AccountClosed):
        close_account(account=account, successor=closed, idempotency_key=new_key())
    assert get_balance(account) == (2, 0, 2)
    assert TokenAccount.objects.get(pk=account.pk).closed_at is None


def test_an_empty_account_closes_into_a_successor_with_no_entries():
    empty, user = funded_account(0), funded_account(1)
    assert close_account(account=empty, successor=user, idempotency_key=new_key()) is None
    assert TokenAccount.objects.get(pk=empty.pk).closed_at is not None
    assert get_balance(user) == (1, 0, 1)


def test_spends_and_captures_record_the_feature_and_the_spender():
    account = funded_account(5)
    hold = reserve_tokens(
        account=account, amount=2, idempotency_key=new_key(), reference="ticket:1",
        feature_key="ticket.advanced", spender="user:7",
    )
    assert (hold.feature_key, hold.spender) == ("ticket.advanced", "user:7")
    stored = Hold.objects.get(pk=hold.pk)
    assert (stored.feature_key, stored.spender) == ("ticket.advanced", "user:7")
    captured = capture_hold(hold=stored)
    direct = spend_tokens(
        account=account, amount=1, idempotency_key=new_key(),
        feature_key="ticket.standard", spender="apikey:3",
    )
    rows = LedgerEntry.objects.filter(pk__in=[captured.pk, direct.pk]).order_by("pk")
    assert [(e.feature_key, e.spender) for e in rows] == [
        ("ticket.advanced", "user:7"), ("ticket.standard", "apikey:3"),
    ]
    assert Lot.objects.filter(account=account).get().remaining == 2


def test_a_repeated_reserve_with_another_spender_is_a_conflict():
    from tokens.exceptions import IdempotencyConflict

    account = funded_account(3)
    reserve_tokens(account=account, amount=1, idempotency_key="r:1", spender="member:1")
    with pytest.raises(IdempotencyConflict):
        reserve_tokens(account=account, amount=1, idempotency_key="r:1", spender="member:2")
