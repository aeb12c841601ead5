"""Races the ledger must win: sweepers, closing an account and refund clawbacks, each
against captures happening at the same moment (real threads, one PostgreSQL connection
each, released together by a barrier so the operations really overlap).

Whatever the interleaving: every hold ends in exactly one final state, a captured hold has
exactly one spend entry, nothing goes negative, and `find_balance_mismatches` is empty.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.builders import funded_account, new_key
from tests.helpers import race
from tokens.exceptions import HoldStateError
from tokens.models import Hold, HoldStatus, LedgerEntry, Lot
from tokens.selectors import find_balance_mismatches, get_balance
from tokens.services import (
    capture_hold,
    clawback_lot,
    close_account,
    expire_lots,
    grant_tokens,
    open_account,
    release_expired_holds,
    release_hold,
    reserve_tokens,
    spend_tokens,
)

pytestmark = pytest.mark.django_db(transaction=True)
PAIRS = 24


def spends_of(hold: Hold):
    return LedgerEntry.objects.filter(idempotency_key=hold.capture_key)


def test_the_hold_sweeper_racing_captures_settles_each_hold_once():
    accounts = [funded_account(3) for _ in range(PAIRS)]
    holds = [
        reserve_tokens(account=account, amount=2, idempotency_key=new_key())
        for account in accounts
    ]
    for hold in holds:
        # Overdue only now, so each sweep races one capture.
        Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        results = race(lambda hold=hold: capture_hold(hold=hold), release_expired_holds,
                       errors_ok=True)
        captured, _ = results
        assert isinstance(captured, LedgerEntry | HoldStateError), captured
    while Hold.objects.filter(status=HoldStatus.PENDING).exists():
        release_expired_holds()  # skip_locked: a sweep that met a busy account comes back
    for hold, account in zip(holds, accounts, strict=True):
        hold.refresh_from_db()
        if hold.status == HoldStatus.CAPTURED:
            assert spends_of(hold).count() == 1
            assert get_balance(account) == (1, 0, 1)
        else:
            assert hold.status == HoldStatus.EXPIRED
            assert not spends_of(hold).exists()
            assert get_balance(account) == (3, 0, 3)
    assert find_balance_mismatches() == []


def test_the_lot_sweeper_racing_spends_never_overspends():
    later = timezone.now() + timedelta(days=1)
    accounts = []
    for _ in range(PAIRS):
        account = funded_account(2, expires_at=later)
        grant_tokens(account=account, amount=1, kind="promo", idempotency_key=new_key("g"))
        accounts.append(account)
    for account in accounts:
        # Lapsed only now, so each sweep races one spend.
        Lot.objects.filter(account=account, expires_at__isnull=False).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        race(
            lambda account=account: spend_tokens(
                account=account, amount=2, idempotency_key=new_key()
            ),
            expire_lots,
            errors_ok=True,  # the spend may find the lot already expired
        )
    expire_lots()
    for account in accounts:
        balance, held, _ = get_balance(account)
        spent = -sum(
            LedgerEntry.objects.filter(account=account, kind="spend").values_list(
                "amount", flat=True
            )
        )
        expired = -sum(
            LedgerEntry.objects.filter(account=account, kind="expiry").values_list(
                "amount", flat=True
            )
        )
        assert balance >= 0 and held == 0
        assert spent + expired + balance == 3
        assert spent in (0, 2)
    assert find_balance_mismatches() == []


@pytest.mark.parametrize("settle", ["capture", "release"])
def test_closing_into_a_successor_while_holds_settle_moves_each_token_once(settle):
    pairs = []
    for _ in range(PAIRS):
        visitor, user = funded_account(3), funded_account(6)
        hold = reserve_tokens(account=visitor, amount=1, idempotency_key=new_key())
        pairs.append((visitor, user, hold))
    for visitor, user, hold in pairs:
        settle_job = (
            (lambda hold=hold: capture_hold(hold=hold))
            if settle == "capture"
            else (lambda hold=hold: release_hold(hold=hold))
        )
        race(
            settle_job,
            lambda visitor=visitor, user=user: close_account(
                account=visitor, successor=user, idempotency_key=new_key()
            ),
        )
    for visitor, user, hold in pairs:
        hold.refresh_from_db()
        assert get_balance(visitor) == (0, 0, 0)
        if settle == "capture":
            assert hold.status == HoldStatus.CAPTURED
            assert spends_of(hold).count() == 1
            assert get_balance(user) == (8, 0, 8)
        else:
            assert hold.status == HoldStatus.RELEASED
            assert get_balance(user) == (9, 0, 9)
    assert find_balance_mismatches() == []


def test_a_refund_clawback_racing_a_capture_takes_only_what_is_left():
    cases = []
    for _ in range(PAIRS):
        account = open_account(label="race")
        purchase = grant_tokens(
            account=account, amount=10, kind="purchase", source="paid",
            idempotency_key=new_key("buy"), reference=f"stripe:checkout:{new_key()}",
        )
        hold = reserve_tokens(account=account, amount=6, idempotency_key=new_key())
        cases.append((account, purchase, hold))
    for _account, purchase, hold in cases:
        results = race(
            lambda hold=hold: capture_hold(hold=hold),
            lambda purchase=purchase: clawback_lot(
                lot_entry=purchase, amount=10, idempotency_key=new_key(), reason="refund"
            ),
        )
        captured, clawback = results
        # The 6 held tokens were promised to the work in progress: the refund takes 4.
        assert captured.amount == -6
        assert (clawback.amount, clawback.shortfall) == (-4, 6)
    for account, _purchase, hold in cases:
        assert get_balance(account) == (0, 0, 0)
        assert spends_of(hold).count() == 1
    assert find_balance_mismatches() == []
