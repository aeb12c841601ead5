"""Spending tokens: two-phase (reserve, then capture or release) and direct spends."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tokens.exceptions import HoldStateError, IdempotencyConflict
from tokens.models import EntryKind, Hold, HoldStatus, LedgerEntry, TokenAccount
from tokens.services._core import (
    Refused,
    check_amount,
    check_key,
    existing_entry,
    explain_refusal,
    move_balance,
    repeat_or_raise,
    request_hash,
    settle_hold,
    write_debit,
    write_hold,
)


def _existing_hold(key: str, digest: str) -> Hold | None:
    hold = Hold.objects.filter(idempotency_key=key).first()
    if hold is not None and hold.request_hash != digest:
        raise IdempotencyConflict(key)
    return hold


def reserve_tokens(
    *,
    account: TokenAccount,
    amount: int,
    idempotency_key: str,
    reference: str = "",
    ttl: timedelta = timedelta(minutes=10),
) -> Hold:
    """Reserve `amount` available tokens for work in progress and return the pending Hold.

    Writes: `held += amount` on the account (locking its row) and one `Hold` row expiring
    after `ttl`; no ledger entry (the balance does not change until `capture_hold`).
    Guarantees: exactly once per key — a repeat with the same account, amount and reference
    returns the first hold in whatever state it is now; other parameters raise
    IdempotencyConflict. Raises InsufficientTokens (with `needed`/`available`) when
    balance - held < amount, AccountClosed on a closed account, InvalidAmount.
    """
    check_amount(amount)
    check_key(idempotency_key)
    digest = request_hash("reserve", account.pk, amount, reference)
    try:
        with transaction.atomic():
            if move_balance(account.pk, held_delta=amount) is None:
                raise Refused
            return write_hold(
                account_id=account.pk,
                amount=amount,
                key=idempotency_key,
                digest=digest,
                reference=reference,
                expires_at=timezone.now() + ttl,
            )
    except IntegrityError:
        # The key's unique index made us wait for a concurrent first call, which committed.
        hold = _existing_hold(idempotency_key, digest)
        if hold is None:
            raise
        return hold
    except Refused:
        # A repeat returns the first hold even if the tokens are now short.
        hold = _existing_hold(idempotency_key, digest)
        if hold is not None:
            return hold
        raise explain_refusal(account.pk, amount) from None


def capture_hold(*, hold: Hold) -> LedgerEntry:
    """Turn a pending hold into a `spend` entry and return that entry.

    Writes (locking the account row first): `balance -= amount` and `held -= amount`, the
    hold's status to captured, one spend entry (key `hold:<id>:capture`, the hold's
    reference) and the lot consumptions. Capturing a captured hold returns the same entry and
    changes nothing. A pending hold past `expires_at` that the sweeper has not yet expired can
    still be captured. Raises HoldStateError if the hold was released or expired.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            moved = move_balance(
                hold.account_id,
                balance_delta=-hold.amount,
                held_delta=-hold.amount,
                require_open=False,
            )
            if moved is None or not settle_hold(hold.pk, status=HoldStatus.CAPTURED, now=now):
                raise Refused
            entry = write_debit(
                account_id=hold.account_id,
                amount=-hold.amount,
                kind=EntryKind.SPEND,
                balance_after=moved[0],
                key=hold.capture_key,
                digest=request_hash("capture", hold.pk),
                reference=hold.reference,
            )
    except Refused:
        current = Hold.objects.get(pk=hold.pk)
        if current.status == HoldStatus.CAPTURED:
            hold.status, hold.resolved_at = current.status, current.resolved_at
            return LedgerEntry.objects.get(idempotency_key=hold.capture_key)
        raise HoldStateError(hold_id=hold.pk, status=current.status, wanted="captured") from None
    hold.status, hold.resolved_at = HoldStatus.CAPTURED, now
    return entry


def release_hold(*, hold: Hold, reason: str = "") -> Hold:
    """Give a pending hold's tokens back (`held -= amount`) and mark it released.

    Writes no ledger entry: the balance never changed. Locks the account row first.
    Releasing a released or expired hold returns it unchanged; releasing a captured hold
    raises HoldStateError (the tokens were spent; a refund is an adjustment).
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            moved = move_balance(hold.account_id, held_delta=-hold.amount, require_open=False)
            if moved is None or not settle_hold(
                hold.pk, status=HoldStatus.RELEASED, now=now, reason=reason[:500]
            ):
                raise Refused
    except Refused:
        current = Hold.objects.get(pk=hold.pk)
        if current.status == HoldStatus.CAPTURED:
            raise HoldStateError(
                hold_id=hold.pk, status=current.status, wanted="released"
            ) from None
        return current
    hold.status, hold.resolved_at, hold.reason = HoldStatus.RELEASED, now, reason[:500]
    return hold


def spend_tokens(
    *, account: TokenAccount, amount: int, idempotency_key: str, reference: str = ""
) -> LedgerEntry:
    """Spend available tokens at once (no hold) and return the `spend` entry.

    Writes (locking the account row first): `balance -= amount`, one spend entry and its lot
    consumptions. Exactly once per key; a repeat with other parameters raises
    IdempotencyConflict. Raises InsufficientTokens, AccountClosed, InvalidAmount.
    """
    check_amount(amount)
    check_key(idempotency_key)
    digest = request_hash("spend", account.pk, amount, reference)
    try:
        with transaction.atomic():
            moved = move_balance(account.pk, balance_delta=-amount)
            if moved is None:
                raise Refused
            return write_debit(
                account_id=account.pk,
                amount=-amount,
                kind=EntryKind.SPEND,
                balance_after=moved[0],
                key=idempotency_key,
                digest=digest,
                reference=reference,
            )
    except IntegrityError as error:
        return repeat_or_raise(idempotency_key, digest, error)
    except Refused:
        entry = existing_entry(idempotency_key, digest)
        if entry is not None:
            return entry
        raise explain_refusal(account.pk, amount) from None
