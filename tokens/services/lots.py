"""Ending a lot early and carrying what it left into a new lot (a plan's rollover)."""

from datetime import datetime

from django.db import transaction
from django.db.models import Sum

from tokens.exceptions import InvalidOperation
from tokens.models import EntryKind, LedgerEntry, Lot, LotConsumption
from tokens.services._core import (
    check_key,
    consume_lots,
    existing_entry,
    lock_account,
    move_balance,
    request_hash,
    write_credit,
    write_entry,
)


def _lot_of(lot_entry: LedgerEntry) -> Lot:
    lot = Lot.objects.filter(entry_id=lot_entry.pk).first()
    if lot is None:
        raise InvalidOperation(f"Entry #{lot_entry.pk} is not a credit: it has no lot.")
    return lot


def _end(lot: Lot, *, key: str, memo: str) -> int:
    """Expire what is left of `lot` now (caller holds the account lock); returns how many.
    Held tokens stay (they are promised to work in progress), as in `expire_lots`."""
    balance, held, _ = lock_account(lot.account_id)
    remaining = Lot.objects.values_list("remaining", flat=True).get(pk=lot.pk)
    take = min(remaining, balance - held)
    if take <= 0:
        return 0
    move_balance(lot.account_id, balance_delta=-take, require_open=False)
    entry = write_entry(
        account_id=lot.account_id, amount=-take, kind=EntryKind.EXPIRY,
        balance_after=balance - take, key=key, digest=request_hash("end", lot.pk),
        reference=f"lot:{lot.pk}", memo=memo[:500])
    consume_lots(entry, lot_id=lot.pk)
    return take


def end_lot(*, lot_entry: LedgerEntry, idempotency_key: str, memo: str = "") -> int:
    """Expire the rest of the lot created by `lot_entry` now, before its `expires_at` (a plan
    whose billing period restarted: the old period's allowance ends with it).

    Writes (locking the account row first) one `expiry` entry consuming only that lot, unless
    nothing is left. Returns the tokens expired (0 on a repeat of the key).
    """
    check_key(idempotency_key)
    lot = _lot_of(lot_entry)
    with transaction.atomic():
        if LedgerEntry.objects.filter(idempotency_key=idempotency_key).exists():
            lock_account(lot.account_id)
            return 0
        return _end(lot, key=idempotency_key, memo=memo)


def unused_of_lot(lot: Lot) -> int:
    """What a lot gave nobody: what is left of it plus what expired from it (not spent,
    clawed back or moved)."""
    expired = LotConsumption.objects.filter(
        lot=lot, entry__kind=EntryKind.EXPIRY).aggregate(total=Sum("amount"))["total"] or 0
    return lot.remaining + expired


def carry_over_lot(
    *,
    lot_entry: LedgerEntry,
    cap: int,
    kind: str,
    expires_at: datetime,
    idempotency_key: str,
    reference: str = "",
    memo: str = "",
) -> LedgerEntry | None:
    """Carry at most `cap` unused tokens of the lot created by `lot_entry` into a new lot.

    Unused is what the lot gave nobody (`unused_of_lot`): its remainder, which is ended now
    (an `expiry` entry under `<key>:end`), plus what already expired from it, so the result
    is the same whether the old lot's expiry sweep ran first or not. Writes (locking the
    account row first) that expiry and one `kind` credit of min(cap, unused) tokens, a lot of
    the old lot's source expiring at `expires_at`, under `idempotency_key`.
    Guarantees: exactly once per key (a repeat returns the first credit); never carries more
    than `cap` or than was unused. Returns None when there was nothing to carry.
    """
    check_key(idempotency_key)
    if cap < 0:
        raise InvalidOperation("A rollover cap cannot be negative.")
    lot = _lot_of(lot_entry)
    digest = request_hash("carry", lot.pk, cap, kind, expires_at.isoformat(), reference)
    with transaction.atomic():
        _, _, closed_at = lock_account(lot.account_id)
        entry = existing_entry(idempotency_key, digest)
        if entry is not None or closed_at is not None:
            return entry
        if not LedgerEntry.objects.filter(idempotency_key=f"{idempotency_key}:end").exists():
            _end(lot, key=f"{idempotency_key}:end", memo="Ended by the next period")
        lot.refresh_from_db(fields=["remaining"])
        carried = min(cap, unused_of_lot(lot))
        if carried <= 0:
            return None
        moved = move_balance(lot.account_id, balance_delta=carried)
        return write_credit(
            source=lot.source, expires_at=expires_at, account_id=lot.account_id,
            amount=carried, kind=kind, balance_after=moved[0], key=idempotency_key,
            digest=digest, reference=reference, memo=memo[:500])
