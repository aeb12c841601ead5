"""Opening, crediting, moving, correcting and closing token accounts."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tokens.exceptions import AccountClosed, InvalidAmount, InvalidOperation, PendingHolds
from tokens.models import (
    LOW_BALANCE_THRESHOLD_MAX,
    EntryKind,
    Hold,
    HoldStatus,
    LedgerEntry,
    Lot,
    LotSource,
    TokenAccount,
)
from tokens.services._core import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    Refused,
    check_amount,
    check_key,
    consume_lots,
    existing_entry,
    explain_refusal,
    lock_account,
    move_balance,
    repeat_or_raise,
    request_hash,
    write_credit,
    write_debit,
    write_entry,
)

GRANT_KINDS = CREDIT_KINDS - {EntryKind.TRANSFER_IN}


def open_account(*, label: str = "") -> TokenAccount:
    """Create an empty token account. The owner (user, visitor, ...) keeps a foreign key to it."""
    return TokenAccount.objects.create(label=label[:200])


def set_low_balance_threshold(*, account: TokenAccount, threshold: int) -> TokenAccount:
    """Set the available-token level below which the account is low (0 turns alerts off).

    Writes: `low_balance_threshold` on the account row, nothing else (no entry: the balance is
    untouched). Raises InvalidAmount outside 0..LOW_BALANCE_THRESHOLD_MAX. Moving it does not
    alert by itself: only a write that takes the balance across it does.
    """
    if (isinstance(threshold, bool) or not isinstance(threshold, int)
            or not 0 <= threshold <= LOW_BALANCE_THRESHOLD_MAX):
        raise InvalidAmount(
            f"The alert level must be a whole number from 0 to {LOW_BALANCE_THRESHOLD_MAX:,}.")
    TokenAccount.objects.filter(pk=account.pk).update(low_balance_threshold=threshold)
    account.low_balance_threshold = threshold
    return account


def grant_tokens(
    *,
    account: TokenAccount,
    amount: int,
    kind: str,
    idempotency_key: str,
    source: str = LotSource.GRANTED,
    expires_at: datetime | None = None,
    reference: str = "",
    memo: str = "",
    actor=None,
) -> LedgerEntry:
    """Credit `amount` tokens and return the credit entry.

    `kind` is one of welcome, visitor_grant, purchase, promo, adjustment; `source` (paid,
    granted, transferred) and `expires_at` describe the lot the credit creates.
    Writes (locking the account row first): `balance += amount`, one entry, one lot.
    Exactly once per key: a repeat with the same account, amount, kind, source, expiry and
    reference returns the first entry; other parameters raise IdempotencyConflict (memo and
    actor are descriptive and not compared). Raises AccountClosed, InvalidAmount,
    InvalidOperation (unknown kind or source).
    """
    check_amount(amount)
    check_key(idempotency_key)
    if kind not in GRANT_KINDS:
        raise InvalidOperation(f"{kind!r} is not a kind of grant.")
    digest = request_hash(
        "grant", account.pk, amount, kind, source, expires_at and expires_at.isoformat(), reference
    )
    try:
        with transaction.atomic():
            moved = move_balance(account.pk, balance_delta=amount)
            if moved is None:
                raise Refused
            return write_credit(
                source=source,
                expires_at=expires_at,
                account_id=account.pk,
                amount=amount,
                kind=kind,
                balance_after=moved[0],
                key=idempotency_key,
                digest=digest,
                reference=reference,
                memo=memo[:500],
                actor=actor,
            )
    except IntegrityError as error:
        return repeat_or_raise(idempotency_key, digest, error)
    except Refused:
        entry = existing_entry(idempotency_key, digest)
        if entry is not None:
            return entry
        raise AccountClosed(account.pk) from None


def transfer_tokens(
    *,
    source: TokenAccount,
    destination: TokenAccount,
    amount: int,
    idempotency_key: str,
    kind_out: str = EntryKind.TRANSFER_OUT,
    kind_in: str = EntryKind.TRANSFER_IN,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move available tokens from `source` to `destination`; return (out entry, in entry).

    Locks both account rows in primary-key order (so two opposite transfers cannot
    deadlock), then writes the debit (key `idempotency_key`) with its lot consumptions and
    the credit (key `<idempotency_key>:in`) as one `transferred` lot without expiry.
    Exactly once per key. Raises InsufficientTokens, AccountClosed (either side),
    InvalidAmount, InvalidOperation (same account, wrong kinds).
    """
    check_amount(amount)
    check_key(idempotency_key)
    if source.pk == destination.pk:
        raise InvalidOperation("Cannot transfer tokens to the same account.")
    if kind_out not in DEBIT_KINDS or kind_in not in CREDIT_KINDS:
        raise InvalidOperation(f"{kind_out!r}/{kind_in!r} are not transfer kinds.")
    digest = request_hash("transfer", source.pk, destination.pk, amount, kind_out, kind_in)
    in_key = f"{idempotency_key}:in"
    deltas = {source.pk: -amount, destination.pk: amount}
    try:
        with transaction.atomic():
            after = {}
            for account_id in sorted(deltas):
                moved = move_balance(account_id, balance_delta=deltas[account_id])
                if moved is None:
                    raise Refused
                after[account_id] = moved[0]
            return _write_transfer(
                source_id=source.pk,
                destination_id=destination.pk,
                amount=amount,
                balances_after=after,
                key=idempotency_key,
                digest=digest,
                kinds=(kind_out, kind_in),
            )
    except IntegrityError as error:
        return repeat_or_raise(idempotency_key, digest, error), LedgerEntry.objects.get(
            idempotency_key=in_key
        )
    except Refused:
        out_entry = existing_entry(idempotency_key, digest)
        if out_entry is not None:
            return out_entry, LedgerEntry.objects.get(idempotency_key=in_key)
        if TokenAccount.objects.filter(pk=destination.pk, closed_at__isnull=False).exists():
            raise AccountClosed(destination.pk) from None
        raise explain_refusal(source.pk, amount) from None


def _write_transfer(
    *,
    source_id: int,
    destination_id: int,
    amount: int,
    balances_after: dict[int, int],
    key: str,
    digest: str,
    kinds: tuple[str, str] = (EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN),
    memo: str = "",
) -> tuple[LedgerEntry, LedgerEntry]:
    """The entries of a transfer whose balances already moved (both rows locked): the debit
    (key `key`) with its lot consumptions, and the credit (key `<key>:in`) as one
    `transferred` lot without expiry."""
    out_entry = write_debit(
        account_id=source_id,
        amount=-amount,
        kind=kinds[0],
        balance_after=balances_after[source_id],
        key=key,
        digest=digest,
        reference=f"account:{destination_id}",
        memo=memo[:500],
    )
    in_entry = write_credit(
        source=LotSource.TRANSFERRED,
        expires_at=None,
        account_id=destination_id,
        amount=amount,
        kind=kinds[1],
        balance_after=balances_after[destination_id],
        key=f"{key}:in",
        digest=digest,
        reference=f"account:{source_id}",
        memo=memo[:500],
    )
    return out_entry, in_entry


def adjust_tokens(
    *, account: TokenAccount, amount: int, actor, reason: str, idempotency_key: str
) -> LedgerEntry:
    """A staff correction: credit (amount > 0, a granted lot) or debit (amount < 0).

    Writes (locking the account row first) one `adjustment` entry with `reason` as memo and
    `actor` as who did it, plus its lot or lot consumptions. A debit takes only available
    tokens (InsufficientTokens otherwise). Exactly once per key. Raises InvalidAmount (zero
    or not an integer), InvalidOperation (no reason), AccountClosed.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidAmount(f"An adjustment needs a non-zero whole number, got {amount!r}.")
    check_key(idempotency_key)
    if not reason or not reason.strip():
        raise InvalidOperation("An adjustment needs a reason.")
    digest = request_hash("adjust", account.pk, amount)
    fields = {
        "account_id": account.pk,
        "amount": amount,
        "kind": EntryKind.ADJUSTMENT,
        "key": idempotency_key,
        "digest": digest,
        "memo": reason.strip()[:500],
        "actor": actor,
    }
    try:
        with transaction.atomic():
            moved = move_balance(account.pk, balance_delta=amount)
            if moved is None:
                raise Refused
            if amount > 0:
                return write_credit(
                    source=LotSource.GRANTED, expires_at=None, balance_after=moved[0], **fields
                )
            return write_debit(balance_after=moved[0], **fields)
    except IntegrityError as error:
        return repeat_or_raise(idempotency_key, digest, error)
    except Refused:
        entry = existing_entry(idempotency_key, digest)
        if entry is not None:
            return entry
        raise explain_refusal(account.pk, -amount) from None


def clawback_lot(
    *, lot_entry: LedgerEntry, amount: int, idempotency_key: str, reason: str = ""
) -> LedgerEntry | None:
    """Take back up to `amount` tokens of the lot created by `lot_entry` (e.g. on a refund).

    Takes at most what remains of that lot and at most what is available (held tokens are
    promised to work in progress). Writes (locking the account row first) one
    `refund_clawback` entry (reference = the lot entry's reference, memo = reason) consuming
    only that lot.

    Shortfall — how much could NOT be clawed back because it was already spent, expired,
    held or moved — is reported as follows:
    - returns the entry with two extra attributes: `entry.requested` (= `amount`) and
      `entry.shortfall` (= `amount` - tokens taken back, >= 0);
    - returns None when nothing at all could be taken back: the shortfall is the whole
      `amount`, and nothing is written (a later repeat of the key re-evaluates).
    A repeat with the same key and amount returns the first entry (with the same two
    attributes); another amount raises IdempotencyConflict.
    """
    check_amount(amount)
    check_key(idempotency_key)
    digest = request_hash("clawback", lot_entry.pk, amount)
    lot_id = Lot.objects.filter(entry_id=lot_entry.pk).values_list("pk", flat=True).first()
    if lot_id is None:
        raise InvalidOperation(f"Entry #{lot_entry.pk} is not a credit: it has no lot.")
    with transaction.atomic():
        balance, held, _ = lock_account(lot_entry.account_id)
        # Re-check after the lock: a concurrent call with this key has committed by now.
        entry = existing_entry(idempotency_key, digest)
        if entry is None:
            remaining = Lot.objects.values_list("remaining", flat=True).get(pk=lot_id)
            take = min(amount, remaining, balance - held)
            if take <= 0:
                return None
            move_balance(lot_entry.account_id, balance_delta=-take, require_open=False)
            entry = write_entry(
                account_id=lot_entry.account_id,
                amount=-take,
                kind=EntryKind.REFUND_CLAWBACK,
                balance_after=balance - take,
                key=idempotency_key,
                digest=digest,
                reference=lot_entry.reference,
                memo=reason[:500],
            )
            consume_lots(entry, lot_id=lot_id)
    entry.requested = amount
    entry.shortfall = amount + entry.amount
    return entry


def close_account(
    *,
    account: TokenAccount,
    successor: TokenAccount | None = None,
    actor=None,
    reason: str = "",
    idempotency_key: str,
) -> LedgerEntry | None:
    """Close an account so it accepts nothing more, and return the entry that emptied it.

    With a `successor` (a visitor's free trial going to their new account), everything moves
    there: the whole balance as a `transfer_out` entry (key `idempotency_key`, returned) and
    a `transfer_in` lot without expiry (key `<idempotency_key>:in`), and every pending hold
    with its held tokens, so work in progress settles on the successor — captured from it on
    success, released to it on failure. Without a successor the remaining balance is debited
    as an `adjustment` (returned), and an account with pending holds is refused with
    PendingHolds: a hold is never destroyed silently.
    Locks both accounts in id order (the one order every two-account service uses), then
    writes the entries, the holds' account and `closed_at`. Returns None when the balance
    was already 0. Idempotent: a repeat returns the same entry (or None). Raises
    AccountClosed when the successor is closed, InvalidOperation when it is the account.
    """
    check_key(idempotency_key)
    if successor is not None and successor.pk == account.pk:
        raise InvalidOperation("An account cannot be closed into itself.")
    digest = request_hash("close", account.pk, successor.pk if successor else None)
    now = timezone.now()
    with transaction.atomic():
        ids = sorted({account.pk} | ({successor.pk} if successor else set()))
        locked = {account_id: lock_account(account_id) for account_id in ids}
        balance, held, closed_at = locked[account.pk]
        # Re-check after the lock: a concurrent close with this key has committed by now.
        entry = existing_entry(idempotency_key, digest)
        if entry is not None or closed_at is not None:
            return entry
        if successor is not None:
            entry = _move_everything(
                account_id=account.pk,
                successor_id=successor.pk,
                balance=balance,
                held=held,
                key=idempotency_key,
                digest=digest,
                memo=reason,
            )
        elif held:
            raise PendingHolds(account_id=account.pk, held=held)
        elif balance > 0:
            entry = write_debit(
                account_id=account.pk,
                amount=-balance,
                kind=EntryKind.ADJUSTMENT,
                balance_after=0,
                key=idempotency_key,
                digest=digest,
                memo=(reason or "account closed")[:500],
                actor=actor,
            )
        TokenAccount.objects.filter(pk=account.pk).update(balance=0, held=0, closed_at=now)
    account.balance, account.held, account.closed_at = 0, 0, now
    return entry


def _move_everything(
    *, account_id: int, successor_id: int, balance: int, held: int, key: str, digest: str,
    memo: str,
) -> LedgerEntry | None:
    """Inside `close_account`, both rows locked: balance and pending holds to the successor."""
    moved = move_balance(successor_id, balance_delta=balance, held_delta=held)
    if moved is None:
        raise AccountClosed(successor_id)
    Hold.objects.filter(account_id=account_id, status=HoldStatus.PENDING).update(
        account_id=successor_id
    )
    if not balance:
        return None
    out_entry, _ = _write_transfer(
        source_id=account_id,
        destination_id=successor_id,
        amount=balance,
        balances_after={account_id: 0, successor_id: moved[0]},
        key=key,
        digest=digest,
        memo=memo,
    )
    return out_entry
