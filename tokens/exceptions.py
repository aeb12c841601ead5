"""Errors the ledger raises. All derive from `LedgerError`; none of them leaves a write behind."""


class LedgerError(Exception):
    """Base class: the ledger refused an operation and changed nothing."""


class InsufficientTokens(LedgerError):
    """The account's available tokens (balance - held) are fewer than needed."""

    def __init__(self, *, needed: int, available: int):
        self.needed = needed
        self.available = available
        super().__init__(f"{needed} tokens needed, {available} available.")


class IdempotencyConflict(LedgerError):
    """The idempotency key was already used with different parameters."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"Idempotency key {key!r} was already used with different parameters.")


class InvalidAmount(LedgerError, ValueError):
    """An amount that is not a positive integer (or a zero adjustment)."""


class InvalidOperation(LedgerError, ValueError):
    """A request that makes no sense: an unknown kind or source, a transfer to itself."""


class AccountClosed(LedgerError):
    """The account is closed: it accepts no new credits, reservations or spends."""

    def __init__(self, account_id: int):
        self.account_id = account_id
        super().__init__(f"Token account #{account_id} is closed.")


class HoldStateError(LedgerError):
    """The hold is no longer pending: e.g. capture after release, or release after capture."""

    def __init__(self, *, hold_id: int, status: str, wanted: str):
        self.hold_id = hold_id
        self.status = status
        self.wanted = wanted
        super().__init__(f"Hold #{hold_id} is {status}; it cannot be {wanted}.")


class PendingHolds(LedgerError):
    """The account still has tokens reserved for work in progress; closing it now would
    destroy them. Close it with a successor (the holds move there) or once they settle."""

    def __init__(self, *, account_id: int, held: int):
        self.account_id = account_id
        self.held = held
        super().__init__(
            f"Token account #{account_id} has {held} tokens held for work in progress."
        )


class UnknownPrice(LedgerError, LookupError):
    """No active price exists for the feature key."""

    def __init__(self, feature_key: str):
        self.feature_key = feature_key
        super().__init__(f"No active price for {feature_key!r}.")


class LedgerInvariantError(LedgerError):
    """The stored ledger contradicts itself (e.g. lots do not cover the balance).

    Never raised on a healthy database; `manage.py ledger_audit` reports the cause.
    """


class LimitReached(LedgerError):
    """A spending limit (a team member's daily tokens, a pool's monthly budget) would be
    passed: `used` tokens (spent and held) of `limit.tokens` already count against it."""

    def __init__(self, *, limit, used: int, needed: int):
        self.limit = limit
        self.used = used
        self.needed = needed
        super().__init__(
            f"{limit.name}: {used} of {limit.tokens} tokens used, {needed} more needed."
        )
