"""Spending tokens: two-phase (reserve, then capture or release) and direct spends."""

from collections.abc import Sequence
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tokens.exceptions import HoldStateError, IdempotencyConflict, LimitReached
from tokens.limits import SpendLimit, used_by_limits
from tokens.models import EntryKind, Hold, HoldStatus, LedgerEntry, TokenAccount
from tokens.services._core import (
    Refused,
    check_amount,
    check_key,
    discard_hold,
    existing_entry,
    explain_refusal,
    lock_account,
    move_balance,
    move_hold_balance,
    repeat_or_raise,
    request_hash,
    settle_hold,
    write_debit,
    write_hold,
)

# A hold moves at most once (a visitor's tokens to their new account), so a capture or
# release that lost that race succeeds on its second try.
_SETTLE_TRIES = 3


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
    feature_key: str = "",
    spender: str = "",
    ttl: timedelta = timedelta(minutes=10),
    limits: Sequence[SpendLimit] = (),
) -> Hold:
    """Reserve `amount` available tokens for work in progress and return the pending Hold.

    Writes: `held += amount` on the account (locking its row) and one `Hold` row expiring
    after `ttl`, recording what it pays for (`feature_key`) and who spends (`spender`); no
    ledger entry (the balance does not change until `capture_hold`).
    Guarantees: exactly once per key — a repeat with the same account, amount, reference,
    feature and spender returns the first hold in whatever state it is now; other parameters
    raise IdempotencyConflict. With `limits`, the account row is locked first and each limit
    counts what it covers (spent since its start plus pending holds): LimitReached when this
    amount would pass one. Raises InsufficientTokens (with `needed`/`available`) when
    balance - held < amount, AccountClosed on a closed account, InvalidAmount.
    """
    check_amount(amount)
    check_key(idempotency_key)
    digest = request_hash("reserve", account.pk, amount, reference, feature_key, spender)
    # The hold first, then the tokens: a repeated key then writes nothing, and a refusal
    # only removes the row it just wrote. Nothing raises inside after the limits are checked
    # (which write nothing), so no savepoint is needed in a caller's transaction (two
    # statements fewer on every ticket).
    with transaction.atomic(savepoint=False):
        if limits:
            _check_limits(account.pk, amount=amount, key=idempotency_key, digest=digest,
                          limits=limits)
        hold = write_hold(
            account_id=account.pk,
            amount=amount,
            key=idempotency_key,
            digest=digest,
            reference=reference,
            feature_key=feature_key,
            spender=spender,
            expires_at=timezone.now() + ttl,
        )
        refused = hold is not None and move_balance(account.pk, held_delta=amount) is None
        if refused:
            discard_hold(hold.pk)
    if hold is None:
        # The key is taken: a repeat, or a concurrent first call (which committed) returns
        # the first hold, even if the tokens are now short.
        existing = _existing_hold(idempotency_key, digest)
        if existing is not None:
            return existing
    elif not refused:
        return hold
    raise explain_refusal(account.pk, amount)


def _check_limits(account_id: int, *, amount: int, key: str, digest: str,
                  limits: Sequence[SpendLimit]) -> None:
    # Under the account's lock (kept to the caller's commit) every other reservation on
    # this account waits, so the counts below cannot change before this hold is written.
    locked = lock_account(account_id)
    if _existing_hold(key, digest) is not None:
        return  # a repeat: it returns the first hold, which already counted
    held = locked[1] if locked else 0
    for limit, used in zip(limits, used_by_limits(account_id=account_id, limits=limits,
                                                  held=held), strict=True):
        if used + amount > limit.tokens:
            raise LimitReached(limit=limit, used=used, needed=amount)


def capture_hold(*, hold: Hold) -> LedgerEntry:
    """Turn a pending hold into a `spend` entry and return that entry.

    Writes (locking the row of the account the hold is on now first): `balance -= amount`
    and `held -= amount`, the hold's status to captured, one spend entry (key
    `hold:<id>:capture`, the hold's reference, feature and spender) and the lot consumptions.
    Capturing a captured hold returns the same entry and changes nothing. A pending hold past
    `expires_at` that the sweeper has not yet expired can still be captured; a hold that
    moved to another account (a visitor who signed up) is captured there. Raises
    HoldStateError if the hold was released or expired.
    """
    for _ in range(_SETTLE_TRIES):
        now = timezone.now()
        try:
            with transaction.atomic():
                moved = move_hold_balance(
                    hold.pk, balance_delta=-hold.amount, held_delta=-hold.amount
                )
                if moved is None:
                    raise Refused
                account_id, balance, _held = moved
                if not settle_hold(
                    hold.pk, account_id=account_id, status=HoldStatus.CAPTURED, now=now
                ):
                    raise Refused
                entry = write_debit(
                    account_id=account_id,
                    amount=-hold.amount,
                    kind=EntryKind.SPEND,
                    balance_after=balance,
                    key=hold.capture_key,
                    digest=request_hash("capture", hold.pk),
                    reference=hold.reference,
                    feature_key=hold.feature_key,
                    spender=hold.spender,
                )
        except Refused:
            current = Hold.objects.get(pk=hold.pk)
            if current.status == HoldStatus.PENDING:
                continue  # it moved to another account while we waited for the lock
            if current.status == HoldStatus.CAPTURED:
                hold.status, hold.resolved_at = current.status, current.resolved_at
                hold.account_id = current.account_id
                return LedgerEntry.objects.get(idempotency_key=hold.capture_key)
            raise HoldStateError(
                hold_id=hold.pk, status=current.status, wanted="captured"
            ) from None
        hold.status, hold.resolved_at, hold.account_id = HoldStatus.CAPTURED, now, account_id
        return entry
    raise HoldStateError(hold_id=hold.pk, status=HoldStatus.PENDING, wanted="captured")


def release_hold(*, hold: Hold, reason: str = "") -> Hold:
    """Give a pending hold's tokens back (`held -= amount`) and mark it released.

    Writes no ledger entry: the balance never changed. Locks the row of the account the hold
    is on now first (it may have moved, see `capture_hold`). Releasing a released or expired
    hold returns it unchanged; releasing a captured hold raises HoldStateError (the tokens
    were spent; a refund is an adjustment).
    """
    for _ in range(_SETTLE_TRIES):
        now = timezone.now()
        try:
            with transaction.atomic():
                moved = move_hold_balance(hold.pk, held_delta=-hold.amount)
                if moved is None or not settle_hold(
                    hold.pk,
                    account_id=moved[0],
                    status=HoldStatus.RELEASED,
                    now=now,
                    reason=reason[:500],
                ):
                    raise Refused
        except Refused:
            current = Hold.objects.get(pk=hold.pk)
            if current.status == HoldStatus.PENDING:
                continue
            if current.status == HoldStatus.CAPTURED:
                raise HoldStateError(
                    hold_id=hold.pk, status=current.status, wanted="released"
                ) from None
            return current
        hold.status, hold.resolved_at, hold.reason = HoldStatus.RELEASED, now, reason[:500]
        hold.account_id = moved[0]
        return hold
    raise HoldStateError(hold_id=hold.pk, status=HoldStatus.PENDING, wanted="released")


def lock_hold_account(*, hold_id: int, account_id: int | None = None) -> int | None:
    """Lock the row of the account `hold_id` is on now and return its id (None: no hold).

    For services that change their own rows together with settling a hold (a ticket stored
    and its hold captured in one transaction): they call this first, so the account is
    locked before anything else, as everywhere. `account_id`, the account the caller last
    saw the hold on, saves reading it first. Follows a hold that moved meanwhile.
    """
    while True:
        if account_id is None:
            account_id = (Hold.objects.filter(pk=hold_id)
                          .values_list("account_id", flat=True).first())
            if account_id is None:
                return None
        lock_account(account_id)
        if Hold.objects.filter(pk=hold_id, account_id=account_id).exists():
            return account_id
        account_id = None  # it moved (or is gone): read where it is now


def spend_tokens(
    *,
    account: TokenAccount,
    amount: int,
    idempotency_key: str,
    reference: str = "",
    feature_key: str = "",
    spender: str = "",
) -> LedgerEntry:
    """Spend available tokens at once (no hold) and return the `spend` entry.

    Writes (locking the account row first): `balance -= amount`, one spend entry (with what
    it paid for and who spent) and its lot consumptions. Exactly once per key; a repeat with
    other parameters raises IdempotencyConflict. Raises InsufficientTokens, AccountClosed,
    InvalidAmount.
    """
    check_amount(amount)
    check_key(idempotency_key)
    digest = request_hash("spend", account.pk, amount, reference, feature_key, spender)
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
                feature_key=feature_key,
                spender=spender,
            )
    except IntegrityError as error:
        return repeat_or_raise(idempotency_key, digest, error)
    except Refused:
        entry = existing_entry(idempotency_key, digest)
        if entry is not None:
            return entry
        raise explain_refusal(account.pk, amount) from None
