"""Property-based test: random sequences of ledger operations agree with a tiny in-memory model.

The model is deliberately naive (lists and dicts); the ledger is PostgreSQL with locks,
constraints and lots. After every step balances, holds and every lot's remainder must match,
and the audit must find nothing. Time is virtual: sweepers get `now = start + offset`.
"""

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tokens.exceptions import HoldStateError, InsufficientTokens
from tokens.models import Hold, Lot
from tokens.selectors import find_balance_mismatches, get_balance
from tokens.services import (
    adjust_tokens,
    capture_hold,
    clawback_lot,
    expire_lots,
    grant_tokens,
    open_account,
    release_expired_holds,
    release_hold,
    reserve_tokens,
    spend_tokens,
    transfer_tokens,
)

SOURCE_RANK = {"granted": 0, "transferred": 1, "paid": 2}
_run = itertools.count()


@dataclass
class ModelLot:
    account: int
    source: str
    remaining: int
    expires: int | None  # minutes after the start, or never
    order: int

    def spend_key(self):
        return (self.expires is None, self.expires or 0, SOURCE_RANK[self.source], self.order)


@dataclass
class ModelAccount:
    balance: int = 0
    held: int = 0
    lots: list[ModelLot] = field(default_factory=list)

    @property
    def available(self) -> int:
        return self.balance - self.held


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    lots = Bundle("lots")

    def __init__(self):
        super().__init__()
        self.prefix = f"prop:{next(_run)}"
        self.keys = itertools.count()
        self.start = timezone.now()
        self.offset = 0  # minutes of virtual time
        self.real = [open_account(label=f"{self.prefix}:{n}") for n in range(2)]
        self.model = [ModelAccount(), ModelAccount()]
        self.hold_model: dict[int, dict] = {}
        self.lot_model: dict[int, ModelLot] = {}
        self.orders = itertools.count()
        self.last_grant = None

    def key(self) -> str:
        return f"{self.prefix}:{next(self.keys)}"

    # --- model helpers ---------------------------------------------------------------------

    def model_debit(self, index: int, amount: int) -> None:
        account = self.model[index]
        account.balance -= amount
        for lot in sorted(account.lots, key=ModelLot.spend_key):
            take = min(amount, lot.remaining)
            lot.remaining -= take
            amount -= take
        assert amount == 0

    def model_credit(self, index: int, amount: int, source: str, expires) -> ModelLot:
        lot = ModelLot(index, source, amount, expires, next(self.orders))
        self.model[index].balance += amount
        self.model[index].lots.append(lot)
        return lot

    # --- rules -----------------------------------------------------------------------------

    @rule(
        target=lots,
        index=st.integers(0, 1),
        amount=st.integers(1, 6),
        source=st.sampled_from(["paid", "granted", "transferred"]),
        expires=st.sampled_from([None, None, 20, 60]),
    )
    def grant(self, index, amount, source, expires):
        expires_at = None if expires is None else self.start + timedelta(minutes=expires)
        kwargs = {
            "account": self.real[index],
            "amount": amount,
            "kind": "purchase" if source == "paid" else "promo",
            "source": source,
            "expires_at": expires_at,
            "idempotency_key": self.key(),
        }
        entry = grant_tokens(**kwargs)
        self.last_grant = (kwargs, entry.pk)
        self.lot_model[entry.pk] = self.model_credit(index, amount, source, expires)
        return entry

    @precondition(lambda self: self.last_grant is not None)
    @rule()
    def repeat_last_grant(self):
        kwargs, pk = self.last_grant
        assert grant_tokens(**kwargs).pk == pk

    @rule(
        target=holds,
        index=st.integers(0, 1),
        amount=st.integers(1, 4),
        ttl=st.sampled_from([5, 30]),
    )
    def reserve(self, index, amount, ttl):
        account = self.model[index]
        try:
            hold = reserve_tokens(
                account=self.real[index],
                amount=amount,
                idempotency_key=self.key(),
                ttl=timedelta(minutes=ttl),
            )
        except InsufficientTokens as refused:
            assert account.available < amount
            assert refused.available == account.available
            return None
        assert account.available >= amount
        account.held += amount
        # Real expiry is the real start + ttl + a few ms: lapsed once offset > ttl.
        self.hold_model[hold.pk] = {
            "index": index,
            "amount": amount,
            "status": "pending",
            "ttl": ttl,
        }
        return hold

    @rule(hold=holds)
    def capture(self, hold):
        if hold is None:
            return
        state = self.hold_model[hold.pk]
        try:
            entry = capture_hold(hold=Hold.objects.get(pk=hold.pk))
        except HoldStateError:
            assert state["status"] in ("released", "expired")
            return
        assert entry.amount == -state["amount"]
        if state["status"] == "pending":
            self.model[state["index"]].held -= state["amount"]
            self.model_debit(state["index"], state["amount"])
            state["status"] = "captured"
        assert state["status"] == "captured"

    @rule(hold=holds)
    def release(self, hold):
        if hold is None:
            return
        state = self.hold_model[hold.pk]
        try:
            released = release_hold(hold=Hold.objects.get(pk=hold.pk))
        except HoldStateError:
            assert state["status"] == "captured"
            return
        if state["status"] == "pending":
            self.model[state["index"]].held -= state["amount"]
            state["status"] = "released"
        assert released.status == state["status"]

    @rule(index=st.integers(0, 1), amount=st.integers(1, 5))
    def spend(self, index, amount):
        try:
            spend_tokens(account=self.real[index], amount=amount, idempotency_key=self.key())
        except InsufficientTokens:
            assert self.model[index].available < amount
            return
        self.model_debit(index, amount)

    @rule(index=st.integers(0, 1), amount=st.integers(1, 5))
    def transfer(self, index, amount):
        other = 1 - index
        try:
            _, in_entry = transfer_tokens(
                source=self.real[index],
                destination=self.real[other],
                amount=amount,
                idempotency_key=self.key(),
            )
        except InsufficientTokens:
            assert self.model[index].available < amount
            return
        self.model_debit(index, amount)
        self.lot_model[in_entry.pk] = self.model_credit(other, amount, "transferred", None)

    @rule(index=st.integers(0, 1), amount=st.integers(-4, 4).filter(bool))
    def adjust(self, index, amount):
        try:
            entry = adjust_tokens(
                account=self.real[index],
                amount=amount,
                actor=None,
                reason="property test",
                idempotency_key=self.key(),
            )
        except InsufficientTokens:
            assert amount < 0 and self.model[index].available < -amount
            return
        if amount > 0:
            self.lot_model[entry.pk] = self.model_credit(index, amount, "granted", None)
        else:
            self.model_debit(index, -amount)

    @rule(lot_entry=lots, amount=st.integers(1, 6))
    def clawback(self, lot_entry, amount):
        lot = self.lot_model[lot_entry.pk]
        account = self.model[lot.account]
        take = min(amount, lot.remaining, account.available)
        entry = clawback_lot(lot_entry=lot_entry, amount=amount, idempotency_key=self.key())
        if take == 0:
            assert entry is None
            return
        assert (entry.amount, entry.shortfall) == (-take, amount - take)
        lot.remaining -= take
        account.balance -= take

    @rule(minutes=st.integers(1, 40))
    def advance_clock(self, minutes):
        self.offset += minutes

    @rule()
    def sweep_holds(self):
        release_expired_holds(now=self.start + timedelta(minutes=self.offset))
        for state in self.hold_model.values():
            if state["status"] == "pending" and state["ttl"] < self.offset:
                state["status"] = "expired"
                self.model[state["index"]].held -= state["amount"]

    @rule()
    def sweep_lots(self):
        expire_lots(now=self.start + timedelta(minutes=self.offset))
        for account in self.model:
            lapsed = [
                lot
                for lot in account.lots
                if lot.remaining and lot.expires is not None and lot.expires <= self.offset
            ]
            for lot in sorted(lapsed, key=lambda lot: (lot.expires, lot.order)):
                take = min(lot.remaining, account.available)
                if take <= 0:
                    break
                lot.remaining -= take
                account.balance -= take

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def balances_and_lots_match_the_model(self):
        for real, model in zip(self.real, self.model, strict=True):
            assert get_balance(real) == (model.balance, model.held, model.available)
        stored = dict(
            Lot.objects.filter(entry_id__in=self.lot_model).values_list("entry_id", "remaining")
        )
        assert stored == {pk: lot.remaining for pk, lot in self.lot_model.items()}

    def teardown(self):
        assert find_balance_mismatches() == []


@pytest.mark.django_db
def test_ledger_matches_an_in_memory_model():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
