"""Write primitives shared by the ledger services. Only `tokens.services` calls these.

Each primitive runs inside the caller's `transaction.atomic()` with the account row already
locked (`move_balance` and `lock_account` take that lock).

The hot path (reserve, capture, spend) is a handful of fixed SQL statements run on Django's
connection (see `_run`) rather than ORM queries: ORM compilation plus re-planning every
statement put the services at 0.45x of the same statements issued by hand, prepared
statements and plain SQL at 0.7-0.8x (bench/ledger.py, bench/README.md). The statements are
standard (UPDATE/INSERT ... RETURNING, NULLS LAST), so the zero-setup SQLite run uses them too.
"""

import hashlib
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections
from django.utils import timezone
from psycopg import Cursor as ServerCursor

from tokens.exceptions import (
    AccountClosed,
    IdempotencyConflict,
    InsufficientTokens,
    InvalidAmount,
    InvalidOperation,
    LedgerError,
    LedgerInvariantError,
)
from tokens.models import EntryKind, Hold, LedgerEntry, LotSource, TokenAccount

# Spends use lots soonest-expiring first, then granted before transferred before paid, then
# oldest first: free tokens go before bought ones, and nothing lapses that could be used.
# (The same ORDER BY appears in the two lot statements below.)

_MOVE_SQL = (
    "UPDATE tokens_tokenaccount SET balance = balance + %s, held = held + %s "
    "WHERE id = %s AND held + %s >= 0 AND balance + %s >= held + %s{open} "
    "RETURNING balance, held"
)
_INSERT_ENTRY_SQL = (
    "INSERT INTO tokens_ledgerentry (account_id, amount, kind, balance_after, idempotency_key, "
    "request_hash, reference, memo, actor_id, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)
_INSERT_LOT_SQL = (
    "INSERT INTO tokens_lot (entry_id, account_id, source, amount, remaining, expires_at, "
    "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
_INSERT_HOLD_SQL = (
    "INSERT INTO tokens_hold (account_id, amount, status, idempotency_key, request_hash, "
    "reference, expires_at, created_at, reason) "
    "VALUES (%s, %s, 'pending', %s, %s, %s, %s, %s, '') RETURNING id"
)
# One statement for the common case: the first open lot in spend order covers the debit.
_TAKE_FIRST_LOT_SQL = (
    "UPDATE tokens_lot SET remaining = remaining - %s WHERE remaining >= %s AND id = ("
    "SELECT id FROM tokens_lot WHERE account_id = %s AND remaining > 0 ORDER BY "
    "expires_at ASC NULLS LAST, "
    "CASE source WHEN 'granted' THEN 0 WHEN 'transferred' THEN 1 ELSE 2 END, id "
    "LIMIT 1) RETURNING id"
)
_OPEN_LOTS_SQL = (
    "SELECT id, remaining FROM tokens_lot WHERE account_id = %s AND remaining > 0 ORDER BY "
    "expires_at ASC NULLS LAST, "
    "CASE source WHEN 'granted' THEN 0 WHEN 'transferred' THEN 1 ELSE 2 END, id"
)
_ONE_LOT_SQL = "SELECT id, remaining FROM tokens_lot WHERE account_id = %s AND id = %s"


class Refused(Exception):  # noqa: N818 - internal control flow, never leaves the services
    """Raised inside an atomic block to roll it back; the service then explains why."""


def check_amount(amount) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidAmount(f"Amount must be a positive whole number of tokens, got {amount!r}.")


def check_key(key) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > 255:
        raise InvalidOperation("An idempotency key (1 to 255 characters) is required.")


def request_hash(*parts) -> str:
    """Fingerprint of the parameters an idempotency key is first used with."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def _db_time(value: datetime | None):
    return connection.ops.adapt_datetimefield_value(value)


def _run(sql: str, params: list):
    """Execute one of the ledger's statements on Django's connection; returns the cursor.

    On PostgreSQL the statement goes to the driver connection under Django's wrapper (same
    connection and transaction; errors still raised as django.db errors) through a
    server-side-parameter cursor, so psycopg prepares it after a few uses (settings:
    `prepare_threshold`, DB_PREPARED_STATEMENTS). Planning these few statements anew each
    time cost half of a reserve+capture (bench/ledger.py). They do not show up in
    `connection.queries`. Elsewhere (the SQLite local run) it is Django's cursor.
    """
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        db.ensure_connection()
        with db.wrap_database_errors:
            return ServerCursor(db.connection).execute(sql, params)
    cursor = db.cursor()
    cursor.execute(sql, params)
    return cursor


def _fetchone(sql: str, params: list):
    cursor = _run(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def _fetchall(sql: str, params: list) -> list:
    cursor = _run(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _execute(sql: str, params: list) -> int:
    cursor = _run(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def _loaded(instance):
    """Mark an instance built from values we just wrote as a saved row."""
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def move_balance(
    account_id: int, *, balance_delta: int = 0, held_delta: int = 0, require_open: bool = True
) -> tuple[int, int] | None:
    """Add the deltas to the account in one conditional UPDATE and return (balance, held).

    The UPDATE takes the same row lock as `select_for_update(no_key=True)`, so this *is* the
    "lock the account first" step: a concurrent writer on the same account waits here, then
    re-evaluates the conditions against the committed row (READ COMMITTED). Returns None,
    changing nothing, if the result would break `held >= 0` or `held <= balance` (i.e. not
    enough available tokens) or, with `require_open`, if the account is closed.
    """
    sql = _MOVE_SQL.format(open=" AND closed_at IS NULL" if require_open else "")
    params = [balance_delta, held_delta, account_id, held_delta, balance_delta, held_delta]
    row = _fetchone(sql, params)
    return None if row is None else (row[0], row[1])


def lock_account(account_id: int, *, skip_locked: bool = False):
    """Lock the account row; returns (balance, held, closed_at), or None if skipped/missing."""
    return (
        TokenAccount.objects.select_for_update(no_key=True, skip_locked=skip_locked)
        .filter(pk=account_id)
        .values_list("balance", "held", "closed_at")
        .first()
    )


def write_entry(
    *,
    account_id: int,
    amount: int,
    kind: str,
    balance_after: int,
    key: str,
    digest: str,
    reference: str = "",
    memo: str = "",
    actor=None,
) -> LedgerEntry:
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    params = [account_id, amount, kind, balance_after, key, digest, reference, memo, actor_id]
    (entry_id,) = _fetchone(_INSERT_ENTRY_SQL, [*params, _db_time(now)])
    return _loaded(
        LedgerEntry(
            id=entry_id,
            account_id=account_id,
            amount=amount,
            kind=kind,
            balance_after=balance_after,
            idempotency_key=key,
            request_hash=digest,
            reference=reference,
            memo=memo,
            actor_id=actor_id,
            created_at=now,
        )
    )


def write_credit(*, source: str, expires_at: datetime | None, **entry_fields) -> LedgerEntry:
    """A credit entry and the lot it creates."""
    if source not in LotSource.values:
        raise InvalidOperation(f"Unknown lot source {source!r}.")
    entry = write_entry(**entry_fields)
    amount = entry.amount
    params = [entry.pk, entry.account_id, source, amount, amount, _db_time(expires_at)]
    _execute(_INSERT_LOT_SQL, [*params, _db_time(entry.created_at)])
    return entry


def consume_lots(entry: LedgerEntry, *, lot_id: int | None = None) -> None:
    """Record which lots the debit `entry` used up, in spend order (or from one given lot)."""
    needed = -entry.amount
    plan: list[tuple[int, int]] = []
    if lot_id is None:
        row = _fetchone(_TAKE_FIRST_LOT_SQL, [needed, needed, entry.account_id])
        if row is not None:
            plan.append((row[0], needed))
            needed = 0
    if needed:
        if lot_id is None:
            open_lots = _fetchall(_OPEN_LOTS_SQL, [entry.account_id])
        else:
            open_lots = _fetchall(_ONE_LOT_SQL, [entry.account_id, lot_id])
        for candidate, remaining in open_lots:
            take = min(needed, remaining)
            plan.append((candidate, take))
            needed -= take
            if needed == 0:
                break
        if needed:
            raise LedgerInvariantError(
                f"Lots of account #{entry.account_id} do not cover a debit of {-entry.amount}; "
                "run `manage.py ledger_audit`."
            )
        for candidate, take in plan:
            _execute(
                "UPDATE tokens_lot SET remaining = remaining - %s WHERE id = %s", [take, candidate]
            )
    for candidate, take in plan:
        _execute(
            "INSERT INTO tokens_lotconsumption (entry_id, lot_id, amount) VALUES (%s, %s, %s)",
            [entry.pk, candidate, take],
        )


def write_debit(**entry_fields) -> LedgerEntry:
    """A debit entry (negative amount) and its lot consumptions."""
    entry = write_entry(**entry_fields)
    consume_lots(entry)
    return entry


def write_hold(
    *, account_id: int, amount: int, key: str, digest: str, reference: str, expires_at: datetime
) -> Hold:
    now = timezone.now()
    params = [account_id, amount, key, digest, reference, _db_time(expires_at), _db_time(now)]
    (hold_id,) = _fetchone(_INSERT_HOLD_SQL, params)
    return _loaded(
        Hold(
            id=hold_id,
            account_id=account_id,
            amount=amount,
            idempotency_key=key,
            request_hash=digest,
            reference=reference,
            expires_at=expires_at,
            created_at=now,
        )
    )


def settle_hold(hold_id: int, *, status: str, now: datetime, reason: str = "") -> bool:
    """Move a pending hold to `status`; False if it was no longer pending."""
    return bool(
        _execute(
            "UPDATE tokens_hold SET status = %s, resolved_at = %s, reason = %s "
            "WHERE id = %s AND status = 'pending'",
            [status, _db_time(now), reason, hold_id],
        )
    )


CREDIT_KINDS = frozenset(
    {
        EntryKind.WELCOME,
        EntryKind.VISITOR_GRANT,
        EntryKind.PURCHASE,
        EntryKind.PROMO,
        EntryKind.ADJUSTMENT,
        EntryKind.TRANSFER_IN,
    }
)
DEBIT_KINDS = frozenset(
    {EntryKind.SPEND, EntryKind.TRANSFER_OUT, EntryKind.ADJUSTMENT, EntryKind.REFUND_CLAWBACK}
)


def existing_entry(key: str, digest: str) -> LedgerEntry | None:
    """The entry already written under `key`, if any; IdempotencyConflict if made differently."""
    entry = LedgerEntry.objects.filter(idempotency_key=key).first()
    if entry is not None and entry.request_hash != digest:
        raise IdempotencyConflict(key)
    return entry


def repeat_or_raise(key: str, digest: str, error: IntegrityError) -> LedgerEntry:
    """After an IntegrityError: the concurrent first call's entry, or the error itself.

    The key's unique index made this call wait for a concurrent first call with the same
    key; once that committed, its entry is visible here (READ COMMITTED) and is the result.
    """
    entry = existing_entry(key, digest)
    if entry is None:
        raise error
    return entry


def explain_refusal(account_id: int, needed: int) -> LedgerError:
    """Why a conditional move matched no row: the account is closed, or tokens are short."""
    balance, held, closed_at = TokenAccount.objects.values_list("balance", "held", "closed_at").get(
        pk=account_id
    )
    if closed_at is not None:
        return AccountClosed(account_id)
    return InsufficientTokens(needed=needed, available=balance - held)
