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
from datetime import UTC, datetime
from functools import partial

import psycopg
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone

from tokens.exceptions import (
    AccountClosed,
    IdempotencyConflict,
    InsufficientTokens,
    InvalidAmount,
    InvalidOperation,
    LedgerError,
    LedgerInvariantError,
)
from tokens.models import EntryKind, Hold, HoldStatus, LedgerEntry, LotSource, TokenAccount
from tokens.signals import available_fell_below_threshold

# Spends use lots soonest-expiring first, then by source in this order (free tokens before
# bought ones), then oldest first: nothing lapses that could be used, and a refund finds as
# much of its purchase as possible. The one definition of spend order; both lot statements
# below are built from it.
SOURCE_SPEND_ORDER = (LotSource.GRANTED, LotSource.TRANSFERRED, LotSource.PAID)
_SOURCE_RANK = "CASE source {} END".format(
    " ".join(f"WHEN '{source.value}' THEN {rank}" for rank, source in enumerate(SOURCE_SPEND_ORDER))
)
SPEND_ORDER_SQL = f"expires_at ASC NULLS LAST, {_SOURCE_RANK}, id"

_MOVE_SQL = (
    "UPDATE tokens_tokenaccount SET balance = balance + %s, held = held + %s "
    "WHERE id = %s AND held + %s >= 0 AND balance + %s >= held + %s{open} "
    "RETURNING balance, held, low_balance_threshold"
)
# Capture and release move the account the hold is on *now*: a visitor's pending hold moves
# with the visitor's tokens when they sign up. The sub-select runs once; if the hold moves
# while this waits for the row lock, the re-checked conditions fail and the caller retries.
_MOVE_FOR_HOLD_SQL = (
    "UPDATE tokens_tokenaccount SET balance = balance + %s, held = held + %s "
    "WHERE id = (SELECT account_id FROM tokens_hold WHERE id = %s AND status = 'pending') "
    "AND held + %s >= 0 AND balance + %s >= held + %s "
    "RETURNING id, balance, held"
)
ENTRY_COLUMNS = (
    "account_id", "amount", "kind", "balance_after", "idempotency_key", "request_hash",
    "reference", "feature_key", "spender", "memo", "actor_id", "created_at",
)
LOT_COLUMNS = (
    "entry_id", "account_id", "source", "amount", "remaining", "expires_at", "created_at",
)
HOLD_COLUMNS = (
    "account_id", "amount", "status", "idempotency_key", "request_hash", "reference",
    "feature_key", "spender", "expires_at", "created_at", "resolved_at", "reason",
)
CONSUMPTION_COLUMNS = ("entry_id", "lot_id", "amount")


# The statements below are assembled once, at import, from this module's constants only (no
# input reaches them: values are always parameters), hence the S608 waivers.
def _insert(table: str, columns: tuple[str, ...], *, returning: str = "", tail: str = "") -> str:
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}){tail}"  # noqa: S608
    return f"{sql} RETURNING {returning}" if returning else sql


_INSERT_ENTRY_SQL = _insert("tokens_ledgerentry", ENTRY_COLUMNS, returning="id")
_INSERT_LOT_SQL = _insert("tokens_lot", LOT_COLUMNS)
# A spend adds to its spender's tally for the day (tokens.models.SpendTally).
_ADD_TO_TALLY_SQL = _insert(
    "tokens_spendtally", ("account_id", "spender", "day", "tokens"),
    tail=" ON CONFLICT (account_id, spender, day) "
         "DO UPDATE SET tokens = tokens_spendtally.tokens + EXCLUDED.tokens")
# A repeated key writes nothing (and, while a concurrent first call is in flight, waits for it).
_INSERT_HOLD_SQL = _insert("tokens_hold", HOLD_COLUMNS, returning="id",
                           tail=" ON CONFLICT (idempotency_key) DO NOTHING")
_INSERT_CONSUMPTION_SQL = _insert("tokens_lotconsumption", CONSUMPTION_COLUMNS)
# One statement for the common case: the first open lot in spend order covers the debit.
_TAKE_FIRST_LOT_SQL = (
    "UPDATE tokens_lot SET remaining = remaining - %s WHERE remaining >= %s AND id = ("  # noqa: S608
    "SELECT id FROM tokens_lot WHERE account_id = %s AND remaining > 0 "
    f"ORDER BY {SPEND_ORDER_SQL} LIMIT 1) RETURNING id"
)
_OPEN_LOTS_SQL = (
    "SELECT id, remaining FROM tokens_lot WHERE account_id = %s AND remaining > 0 "  # noqa: S608
    f"ORDER BY {SPEND_ORDER_SQL}"
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
            # psycopg's (client-side) Cursor binds parameters on the server, which is what
            # lets psycopg prepare the statement; not its named `ServerCursor`.
            return psycopg.Cursor(db.connection).execute(sql, params)
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
    if row is None:
        return None
    balance, held, threshold = row
    notice_low_balance(account_id, before=(balance - balance_delta) - (held - held_delta),
                       after=balance - held, threshold=threshold)
    return balance, held


def notice_low_balance(account_id: int, *, before: int, after: int, threshold: int) -> None:
    """Send `available_fell_below_threshold` after the commit when this write (made under the
    account's row lock) took the available tokens from `before` to `after` across the
    threshold: exactly one write sees each crossing."""
    if after < threshold <= before:
        transaction.on_commit(partial(
            available_fell_below_threshold.send_robust, sender=TokenAccount,
            account_id=account_id, available=after, threshold=threshold))


def move_hold_balance(
    hold_id: int, *, balance_delta: int = 0, held_delta: int = 0
) -> tuple[int, int, int] | None:
    """`move_balance` on the account a pending hold is on now; returns (account id, balance,
    held), or None when the hold is not pending or the move would break a constraint."""
    params = [balance_delta, held_delta, hold_id, held_delta, balance_delta, held_delta]
    return _fetchone(_MOVE_FOR_HOLD_SQL, params)


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
    feature_key: str = "",
    spender: str = "",
    memo: str = "",
    actor=None,
) -> LedgerEntry:
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    params = [
        account_id, amount, kind, balance_after, key, digest, reference, feature_key, spender,
        memo, actor_id, _db_time(now),
    ]
    (entry_id,) = _fetchone(_INSERT_ENTRY_SQL, params)
    if kind == EntryKind.SPEND:
        day = connection.ops.adapt_datefield_value(now.astimezone(UTC).date())
        _execute(_ADD_TO_TALLY_SQL, [account_id, spender, day, -amount])
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
            feature_key=feature_key,
            spender=spender,
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
    params = [
        entry.pk, entry.account_id, source, amount, amount, _db_time(expires_at),
        _db_time(entry.created_at),
    ]
    _execute(_INSERT_LOT_SQL, params)
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
        _execute(_INSERT_CONSUMPTION_SQL, [entry.pk, candidate, take])


def write_debit(**entry_fields) -> LedgerEntry:
    """A debit entry (negative amount) and its lot consumptions."""
    entry = write_entry(**entry_fields)
    consume_lots(entry)
    return entry


def write_hold(
    *,
    account_id: int,
    amount: int,
    key: str,
    digest: str,
    reference: str,
    feature_key: str,
    spender: str,
    expires_at: datetime,
) -> Hold | None:
    """The new pending hold, or None (nothing written) when a hold has this key already."""
    now = timezone.now()
    params = [
        account_id, amount, HoldStatus.PENDING, key, digest, reference, feature_key, spender,
        _db_time(expires_at), _db_time(now), None, "",
    ]
    row = _fetchone(_INSERT_HOLD_SQL, params)
    if row is None:
        return None
    return _loaded(
        Hold(
            id=row[0],
            account_id=account_id,
            amount=amount,
            idempotency_key=key,
            request_hash=digest,
            reference=reference,
            feature_key=feature_key,
            spender=spender,
            expires_at=expires_at,
            created_at=now,
        )
    )


def discard_hold(hold_id: int) -> None:
    """Delete a hold this transaction has just written and not yet paid for (its reserve was
    refused): as if it had never been written."""
    _execute("DELETE FROM tokens_hold WHERE id = %s AND status = %s", [hold_id, HoldStatus.PENDING])


def settle_hold(
    hold_id: int, *, account_id: int, status: str, now: datetime, reason: str = ""
) -> bool:
    """Move a pending hold on `account_id` to `status`; False if it was no longer pending
    there (settled meanwhile, or moved to another account)."""
    return bool(
        _execute(
            "UPDATE tokens_hold SET status = %s, resolved_at = %s, reason = %s "
            "WHERE id = %s AND account_id = %s AND status = 'pending'",
            [status, _db_time(now), reason, hold_id, account_id],
        )
    )


CREDIT_KINDS = frozenset(
    {
        EntryKind.WELCOME,
        EntryKind.VISITOR_GRANT,
        EntryKind.PURCHASE,
        EntryKind.PURCHASE_BONUS,
        EntryKind.PROMO,
        EntryKind.SUBSCRIPTION,
        EntryKind.ADJUSTMENT,
        EntryKind.TRANSFER_IN,
        EntryKind.REFERRAL,
        EntryKind.DAILY_BONUS,
        EntryKind.GIFT,
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
