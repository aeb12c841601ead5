"""Every ledger service and every error it promises, on PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.builders import funded_account, new_key
from tests.factories import UserFactory
from tokens.exceptions import (
    AccountClosed,
    HoldStateError,
    IdempotencyConflict,
    InsufficientTokens,
    InvalidAmount,
    InvalidOperation,
)
from tokens.models import EntryKind, Hold, HoldStatus, LedgerEntry, Lot, TokenAccount
from tokens.selectors import (
    find_balance_mismatches,
    get_balance,
    get_hold,
    list_entries,
    list_lots,
)
from tokens.services import (
    adjust_tokens,
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
    transfer_tokens,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ledger_stays_balanced(db):
    yield
    assert find_balance_mismatches() == []


def remaining_by_source(account):
    return sorted((lot.source, lot.remaining) for lot in list_lots(account))


# --- open and grant ---------------------------------------------------------------------------


def test_open_account_starts_empty():
    account = open_account(label="user:1")
    assert get_balance(account) == (0, 0, 0)
    assert account.label == "user:1"
    assert account.closed_at is None


def test_grant_writes_entry_and_lot():
    account = open_account()
    expires = timezone.now() + timedelta(days=30)
    entry = grant_tokens(
        account=account,
        amount=6,
        kind=EntryKind.WELCOME,
        idempotency_key="user:1:welcome",
        expires_at=expires,
        reference="user:1",
        memo="Welcome!",
    )
    assert (entry.amount, entry.kind, entry.balance_after) == (6, "welcome", 6)
    assert get_balance(account) == (6, 0, 6)
    lot = entry.lot
    assert (lot.source, lot.amount, lot.remaining, lot.expires_at) == ("granted", 6, 6, expires)


def test_grant_is_idempotent_and_conflicts_on_other_parameters():
    account = open_account()
    first = grant_tokens(account=account, amount=5, kind="purchase", idempotency_key="cs_1")
    again = grant_tokens(account=account, amount=5, kind="purchase", idempotency_key="cs_1")
    assert again.pk == first.pk
    assert get_balance(account)[0] == 5
    with pytest.raises(IdempotencyConflict) as raised:
        grant_tokens(account=account, amount=50, kind="purchase", idempotency_key="cs_1")
    assert raised.value.key == "cs_1"
    assert LedgerEntry.objects.filter(account=account).count() == 1


@pytest.mark.parametrize("amount", [0, -1, 1.5, "3", True, None])
def test_grant_rejects_bad_amounts(amount):
    account = open_account()
    with pytest.raises(InvalidAmount):
        grant_tokens(account=account, amount=amount, kind="promo", idempotency_key=new_key())
    assert get_balance(account) == (0, 0, 0)


def test_grant_rejects_debit_kinds_unknown_sources_and_missing_keys():
    account = open_account()
    with pytest.raises(InvalidOperation):
        grant_tokens(account=account, amount=1, kind="spend", idempotency_key=new_key())
    with pytest.raises(InvalidOperation):
        grant_tokens(
            account=account, amount=1, kind="promo", source="stolen", idempotency_key=new_key()
        )
    with pytest.raises(InvalidOperation):
        grant_tokens(account=account, amount=1, kind="promo", idempotency_key="")
    assert get_balance(account) == (0, 0, 0)
    assert not LedgerEntry.objects.filter(account=account).exists()


def test_grant_records_the_actor():
    staff = UserFactory()
    account = open_account()
    entry = grant_tokens(
        account=account, amount=2, kind="promo", idempotency_key=new_key(), actor=staff
    )
    assert LedgerEntry.objects.get(pk=entry.pk).actor == staff


# --- reserve, capture, release ----------------------------------------------------------------


def test_reserve_holds_tokens_without_an_entry():
    account = funded_account(5)
    hold = reserve_tokens(
        account=account, amount=3, idempotency_key="ticket:1:hold", reference="ticket:1"
    )
    assert hold.status == HoldStatus.PENDING
    assert get_balance(account) == (5, 3, 2)
    assert list_entries(account).count() == 1  # only the grant
    assert hold.expires_at > timezone.now() + timedelta(minutes=9)


def test_reserve_insufficient_reports_needed_and_available():
    account = funded_account(5)
    reserve_tokens(account=account, amount=4, idempotency_key=new_key())
    with pytest.raises(InsufficientTokens) as raised:
        reserve_tokens(account=account, amount=2, idempotency_key=new_key())
    assert (raised.value.needed, raised.value.available) == (2, 1)
    assert get_balance(account) == (5, 4, 1)


def test_reserve_repeat_returns_first_hold_even_when_tokens_are_now_short():
    account = funded_account(3)
    first = reserve_tokens(account=account, amount=3, idempotency_key="ticket:9:hold")
    again = reserve_tokens(account=account, amount=3, idempotency_key="ticket:9:hold")
    assert again.pk == first.pk
    assert get_balance(account) == (3, 3, 0)
    with pytest.raises(IdempotencyConflict):
        reserve_tokens(account=account, amount=2, idempotency_key="ticket:9:hold")


def test_capture_spends_and_is_idempotent():
    account = funded_account(5)
    hold = reserve_tokens(
        account=account, amount=3, idempotency_key=new_key(), reference="ticket:2"
    )
    entry = capture_hold(hold=hold)
    assert (entry.kind, entry.amount, entry.balance_after, entry.reference) == (
        "spend",
        -3,
        2,
        "ticket:2",
    )
    assert get_balance(account) == (2, 0, 2)
    stale = Hold.objects.get(pk=hold.pk)
    assert capture_hold(hold=stale).pk == entry.pk
    assert get_balance(account) == (2, 0, 2)
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.CAPTURED


def test_release_returns_tokens_without_entry_and_is_idempotent():
    account = funded_account(5)
    hold = reserve_tokens(account=account, amount=3, idempotency_key=new_key())
    released = release_hold(hold=hold, reason="generation failed")
    assert released.status == HoldStatus.RELEASED
    assert get_balance(account) == (5, 0, 5)
    assert release_hold(hold=Hold.objects.get(pk=hold.pk)).status == HoldStatus.RELEASED
    assert get_balance(account) == (5, 0, 5)
    assert list_entries(account).count() == 1
    assert Hold.objects.get(pk=hold.pk).reason == "generation failed"


def test_capture_after_release_raises_and_release_after_capture_raises():
    account = funded_account(5)
    released = release_hold(
        hold=reserve_tokens(account=account, amount=1, idempotency_key=new_key())
    )
    with pytest.raises(HoldStateError) as raised:
        capture_hold(hold=released)
    assert raised.value.status == "released"
    captured = reserve_tokens(account=account, amount=1, idempotency_key=new_key())
    capture_hold(hold=captured)
    with pytest.raises(HoldStateError):
        release_hold(hold=captured)
    assert get_balance(account) == (4, 0, 4)


def test_expired_holds_are_released_by_the_sweeper_and_cannot_be_captured():
    account = funded_account(5)
    hold = reserve_tokens(
        account=account, amount=2, idempotency_key=new_key(), ttl=timedelta(minutes=1)
    )
    fresh = reserve_tokens(account=account, amount=1, idempotency_key=new_key())
    assert release_expired_holds() == 0
    assert release_expired_holds(now=timezone.now() + timedelta(minutes=2)) == 1
    assert get_balance(account) == (5, 1, 4)
    assert Hold.objects.get(pk=fresh.pk).status == HoldStatus.PENDING
    with pytest.raises(HoldStateError):
        capture_hold(hold=hold)
    assert release_hold(hold=hold).status == HoldStatus.EXPIRED


def test_a_pending_hold_past_its_expiry_can_still_be_captured_before_the_sweep():
    account = funded_account(2)
    hold = reserve_tokens(account=account, amount=2, idempotency_key=new_key(), ttl=timedelta(0))
    assert capture_hold(hold=hold).amount == -2
    assert release_expired_holds() == 0


# --- spend ------------------------------------------------------------------------------------


def test_spend_debits_available_tokens_only():
    account = funded_account(5)
    reserve_tokens(account=account, amount=3, idempotency_key=new_key())
    entry = spend_tokens(account=account, amount=2, idempotency_key="s1", reference="export:1")
    assert (entry.amount, entry.balance_after) == (-2, 3)
    with pytest.raises(InsufficientTokens) as raised:
        spend_tokens(account=account, amount=1, idempotency_key=new_key())
    assert raised.value.available == 0
    assert (
        spend_tokens(account=account, amount=2, idempotency_key="s1", reference="export:1").pk
        == entry.pk
    )
    with pytest.raises(IdempotencyConflict):
        spend_tokens(account=account, amount=2, idempotency_key="s1", reference="export:2")
    assert get_balance(account) == (3, 3, 0)


def test_spends_consume_lots_expiring_first_then_granted_transferred_paid_then_oldest():
    account = open_account()
    soon = timezone.now() + timedelta(days=1)
    later = timezone.now() + timedelta(days=9)

    def credit(amount, source, expires_at=None):
        return grant_tokens(
            account=account,
            amount=amount,
            kind="purchase" if source == "paid" else "promo",
            source=source,
            expires_at=expires_at,
            idempotency_key=new_key(),
        ).lot

    paid = credit(2, "paid")
    transferred = credit(2, "transferred")
    granted_old = credit(2, "granted")
    granted_new = credit(2, "granted")
    expiring_later = credit(2, "paid", later)
    expiring_soon = credit(2, "paid", soon)
    order = [expiring_soon, expiring_later, granted_old, granted_new, transferred, paid]
    for step, lot in enumerate(order):
        entry = spend_tokens(account=account, amount=2, idempotency_key=new_key())
        consumptions = list(entry.consumptions.values_list("lot_id", "amount"))
        assert consumptions == [(lot.pk, 2)], f"step {step}"
    assert get_balance(account) == (0, 0, 0)


def test_a_spend_across_lots_records_each_consumption():
    account = open_account()
    first = grant_tokens(account=account, amount=2, kind="promo", idempotency_key=new_key())
    second = grant_tokens(account=account, amount=5, kind="promo", idempotency_key=new_key())
    entry = spend_tokens(account=account, amount=4, idempotency_key=new_key())
    assert sorted(entry.consumptions.values_list("lot_id", "amount")) == [
        (first.lot.pk, 2),
        (second.lot.pk, 2),
    ]
    assert remaining_by_source(account) == [("granted", 0), ("granted", 3)]


# --- transfer ---------------------------------------------------------------------------------


def test_transfer_moves_tokens_as_a_transferred_lot():
    visitor, user = funded_account(3, kind="visitor_grant"), funded_account(6)
    out_entry, in_entry = transfer_tokens(
        source=visitor, destination=user, amount=3, idempotency_key="visitor:1:carry"
    )
    assert (out_entry.kind, out_entry.amount, out_entry.balance_after) == ("transfer_out", -3, 0)
    assert (in_entry.kind, in_entry.amount, in_entry.balance_after) == ("transfer_in", 3, 9)
    assert in_entry.lot.source == "transferred"
    again = transfer_tokens(
        source=visitor, destination=user, amount=3, idempotency_key="visitor:1:carry"
    )
    assert (again[0].pk, again[1].pk) == (out_entry.pk, in_entry.pk)
    assert get_balance(visitor) == (0, 0, 0)
    assert get_balance(user) == (9, 0, 9)
    with pytest.raises(IdempotencyConflict):
        transfer_tokens(
            source=visitor, destination=user, amount=2, idempotency_key="visitor:1:carry"
        )


def test_transfer_errors():
    source, destination = funded_account(2), funded_account(0)
    with pytest.raises(InsufficientTokens) as raised:
        transfer_tokens(source=source, destination=destination, amount=3, idempotency_key=new_key())
    assert (raised.value.needed, raised.value.available) == (3, 2)
    with pytest.raises(InvalidOperation):
        transfer_tokens(source=source, destination=source, amount=1, idempotency_key=new_key())
    with pytest.raises(InvalidOperation):
        transfer_tokens(
            source=source,
            destination=destination,
            amount=1,
            idempotency_key=new_key(),
            kind_out="promo",
        )
    close_account(account=destination, idempotency_key=new_key())
    with pytest.raises(AccountClosed):
        transfer_tokens(source=source, destination=destination, amount=1, idempotency_key=new_key())
    assert get_balance(source) == (2, 0, 2)


# --- adjust -----------------------------------------------------------------------------------


def test_adjust_credits_and_debits_with_actor_and_reason():
    staff = UserFactory(is_staff=True)
    account = funded_account(5)
    credit = adjust_tokens(
        account=account, amount=4, actor=staff, reason="goodwill", idempotency_key="adj:1"
    )
    debit = adjust_tokens(
        account=account, amount=-2, actor=staff, reason="typo", idempotency_key="adj:2"
    )
    assert (credit.kind, credit.amount, credit.memo, credit.actor) == (
        "adjustment",
        4,
        "goodwill",
        staff,
    )
    assert credit.lot.source == "granted"
    assert (debit.amount, debit.balance_after) == (-2, 7)
    assert (
        adjust_tokens(
            account=account, amount=4, actor=staff, reason="goodwill", idempotency_key="adj:1"
        ).pk
        == credit.pk
    )
    with pytest.raises(IdempotencyConflict):
        adjust_tokens(
            account=account, amount=-4, actor=staff, reason="goodwill", idempotency_key="adj:1"
        )
    with pytest.raises(InvalidAmount):
        adjust_tokens(
            account=account, amount=0, actor=staff, reason="nothing", idempotency_key=new_key()
        )
    with pytest.raises(InvalidOperation):
        adjust_tokens(
            account=account, amount=1, actor=staff, reason="  ", idempotency_key=new_key()
        )
    with pytest.raises(InsufficientTokens):
        adjust_tokens(
            account=account, amount=-8, actor=staff, reason="too much", idempotency_key=new_key()
        )
    assert get_balance(account) == (7, 0, 7)


# --- clawback ---------------------------------------------------------------------------------


def test_clawback_takes_what_is_left_of_the_lot_and_reports_the_shortfall():
    account = open_account()
    purchase = grant_tokens(
        account=account,
        amount=10,
        kind="purchase",
        source="paid",
        idempotency_key="cs_9",
        reference="cs_9",
    )
    grant_tokens(account=account, amount=3, kind="welcome", idempotency_key=new_key())
    spend_tokens(account=account, amount=7, idempotency_key=new_key())  # 3 welcome + 4 paid
    entry = clawback_lot(
        lot_entry=purchase, amount=10, idempotency_key="refund:re_1", reason="refund"
    )
    assert (entry.kind, entry.amount, entry.reference, entry.memo) == (
        "refund_clawback",
        -6,
        "cs_9",
        "refund",
    )
    assert (entry.requested, entry.shortfall) == (10, 4)
    assert get_balance(account) == (0, 0, 0)
    again = clawback_lot(lot_entry=purchase, amount=10, idempotency_key="refund:re_1")
    assert (again.pk, again.shortfall) == (entry.pk, 4)
    with pytest.raises(IdempotencyConflict):
        clawback_lot(lot_entry=purchase, amount=5, idempotency_key="refund:re_1")


def test_clawback_partial_amount_and_nothing_left():
    account = open_account()
    purchase = grant_tokens(
        account=account, amount=5, kind="purchase", source="paid", idempotency_key=new_key()
    )
    entry = clawback_lot(lot_entry=purchase, amount=2, idempotency_key=new_key())
    assert (entry.amount, entry.shortfall) == (-2, 0)
    assert Lot.objects.get(entry=purchase).remaining == 3
    spend_tokens(account=account, amount=3, idempotency_key=new_key())
    assert clawback_lot(lot_entry=purchase, amount=3, idempotency_key=new_key()) is None


def test_clawback_leaves_held_tokens_for_the_work_in_progress():
    account = open_account()
    purchase = grant_tokens(
        account=account, amount=5, kind="purchase", source="paid", idempotency_key=new_key()
    )
    reserve_tokens(account=account, amount=4, idempotency_key=new_key())
    entry = clawback_lot(lot_entry=purchase, amount=5, idempotency_key=new_key())
    assert (entry.amount, entry.shortfall) == (-1, 4)
    assert get_balance(account) == (4, 4, 0)


# --- expiry -----------------------------------------------------------------------------------


def test_expire_lots_debits_lapsed_remainders_once():
    account = open_account()
    now = timezone.now()
    grant_tokens(
        account=account,
        amount=3,
        kind="promo",
        idempotency_key=new_key(),
        expires_at=now + timedelta(hours=1),
    )
    grant_tokens(
        account=account, amount=4, kind="purchase", source="paid", idempotency_key=new_key()
    )
    spend_tokens(account=account, amount=1, idempotency_key=new_key())  # from the expiring lot
    assert expire_lots(now=now) == 0
    assert expire_lots(now=now + timedelta(hours=2)) == 1
    assert expire_lots(now=now + timedelta(hours=3)) == 0
    expiry = list_entries(account, kinds=["expiry"]).get()
    assert (expiry.amount, expiry.balance_after) == (-2, 4)
    assert get_balance(account) == (4, 0, 4)


def test_expiry_spares_held_tokens_until_the_hold_resolves():
    account = open_account()
    now = timezone.now()
    grant_tokens(
        account=account,
        amount=5,
        kind="promo",
        idempotency_key=new_key(),
        expires_at=now + timedelta(hours=1),
    )
    hold = reserve_tokens(account=account, amount=3, idempotency_key=new_key())
    assert expire_lots(now=now + timedelta(hours=2)) == 1
    assert get_balance(account) == (3, 3, 0)
    release_hold(hold=hold)
    assert expire_lots(now=now + timedelta(hours=2)) == 1
    assert get_balance(account) == (0, 0, 0)


# --- close ------------------------------------------------------------------------------------


def test_close_account_zeroes_the_balance_and_refuses_new_work():
    account = funded_account(5)
    hold = reserve_tokens(account=account, amount=2, idempotency_key=new_key())
    release_hold(hold=hold)
    entry = close_account(account=account, reason="user deleted", idempotency_key="close:1")
    assert (entry.kind, entry.amount, entry.balance_after, entry.memo) == (
        "adjustment",
        -5,
        0,
        "user deleted",
    )
    assert get_balance(account) == (0, 0, 0)
    assert TokenAccount.objects.get(pk=account.pk).closed_at is not None
    assert close_account(account=account, idempotency_key="close:1").pk == entry.pk
    with pytest.raises(AccountClosed):
        grant_tokens(account=account, amount=1, kind="promo", idempotency_key=new_key())
    with pytest.raises(AccountClosed):
        reserve_tokens(account=account, amount=1, idempotency_key=new_key())
    with pytest.raises(AccountClosed):
        spend_tokens(account=account, amount=1, idempotency_key=new_key())


def test_close_empty_account_returns_none():
    account = open_account()
    assert close_account(account=account, idempotency_key=new_key()) is None
    assert TokenAccount.objects.get(pk=account.pk).closed_at is not None


# --- nesting and constraints -----------------------------------------------------------------


def test_a_refused_reserve_inside_a_callers_transaction_leaves_it_usable():
    account = funded_account(1)
    with transaction.atomic():
        with pytest.raises(InsufficientTokens):
            reserve_tokens(account=account, amount=2, idempotency_key=new_key())
        hold = reserve_tokens(account=account, amount=1, idempotency_key=new_key())
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.PENDING


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE tokens_tokenaccount SET balance = -1, held = 0 WHERE id = %s",
        "UPDATE tokens_tokenaccount SET held = balance + 1 WHERE id = %s",
        "UPDATE tokens_lot SET remaining = amount + 1 WHERE account_id = %s",
        "UPDATE tokens_ledgerentry SET amount = 0 WHERE account_id = %s",
    ],
)
def test_database_constraints_refuse_impossible_rows(sql):
    account = funded_account(2)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [account.pk])


def test_a_key_reused_by_another_kind_of_operation_is_a_conflict():
    account = funded_account(5)
    spend_tokens(account=account, amount=1, idempotency_key="shared")
    with pytest.raises(IdempotencyConflict):
        grant_tokens(account=account, amount=1, kind="promo", idempotency_key="shared")
    assert get_balance(account) == (4, 0, 4)


def test_clawback_of_a_debit_entry_is_refused():
    account = funded_account(5)
    spend = spend_tokens(account=account, amount=1, idempotency_key=new_key())
    with pytest.raises(InvalidOperation):
        clawback_lot(lot_entry=spend, amount=1, idempotency_key=new_key())


def test_selectors_find_holds_lots_and_entries():
    account = funded_account(5)
    hold = reserve_tokens(account=account, amount=2, idempotency_key="ticket:7:hold")
    spend_tokens(account=account, amount=1, idempotency_key=new_key(), reference="export:7")
    assert get_hold(idempotency_key="ticket:7:hold").pk == hold.pk
    assert get_hold(pk=hold.pk).pk == hold.pk
    assert get_hold(idempotency_key="missing") is None
    assert [e.kind for e in list_entries(account)] == ["spend", "welcome"]
    assert list_entries(account, kinds=["welcome"]).count() == 1
    assert list_entries(account, reference="export:7").get().amount == -1
    assert [lot.remaining for lot in list_lots(account, open_only=True)] == [4]



@pytest.mark.django_db(transaction=True)
def test_a_reserve_inside_a_callers_transaction_spends_no_savepoint():
    """Two statements fewer per ticket: inside a caller's transaction a reserve, a refusal and
    a repeat of the first key run without a savepoint, and the repeat returns the first hold."""
    account = funded_account(2)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        first = reserve_tokens(account=account, amount=2, idempotency_key="outer:1")
        with pytest.raises(InsufficientTokens):
            reserve_tokens(account=account, amount=1, idempotency_key="outer:2")
        again = reserve_tokens(account=account, amount=2, idempotency_key="outer:1")
    assert again.pk == first.pk
    assert not any("SAVEPOINT" in query["sql"] for query in captured.captured_queries)
    account.refresh_from_db()
    assert (account.balance, account.held) == (2, 2)
    assert Hold.objects.filter(account=account).count() == 1
