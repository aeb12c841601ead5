"""The token ledger's tables.

Balances are a cache of the entries (`balance` = sum of `LedgerEntry.amount`), kept exact by
the services and proven by `manage.py ledger_audit`. Every promise that can be a database
constraint is one: non-negative balances, held within balance, non-zero amounts, lot
remainders within their lot, unique idempotency keys.

`tokens` imports no other project app: owners (users, visitors, organizations) hold a
foreign key to their `TokenAccount`, never the reverse.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class EntryKind(models.TextChoices):
    WELCOME = "welcome", "Welcome bonus"
    VISITOR_GRANT = "visitor_grant", "Visitor grant"
    TRANSFER_IN = "transfer_in", "Transfer in"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    PURCHASE = "purchase", "Purchase"
    PURCHASE_BONUS = "purchase_bonus", "Purchase bonus"
    SPEND = "spend", "Spend"
    REFUND_CLAWBACK = "refund_clawback", "Refund clawback"
    ADJUSTMENT = "adjustment", "Adjustment"
    EXPIRY = "expiry", "Expiry"
    PROMO = "promo", "Promotion"
    SUBSCRIPTION = "subscription", "Plan allowance"
    REFERRAL = "referral", "Referral reward"
    DAILY_BONUS = "daily_bonus", "Daily bonus"
    GIFT = "gift", "Gift"


class LotSource(models.TextChoices):
    PAID = "paid", "Paid"
    GRANTED = "granted", "Granted"
    TRANSFERRED = "transferred", "Transferred"


class HoldStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


# Below this many available tokens an account is "low" (badge, banner) and the owner is told
# once per crossing (tokens.signals.available_fell_below_threshold); 0 turns it off.
DEFAULT_LOW_BALANCE_THRESHOLD = 3
LOW_BALANCE_THRESHOLD_MAX = 10_000


class TokenAccount(models.Model):
    balance = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    label = models.CharField(max_length=200, blank=True)
    low_balance_threshold = models.PositiveIntegerField(default=DEFAULT_LOW_BALANCE_THRESHOLD)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="tokens_account_balance_gte_0"
            ),
            models.CheckConstraint(condition=Q(held__gte=0), name="tokens_account_held_gte_0"),
            models.CheckConstraint(
                condition=Q(held__lte=F("balance")), name="tokens_account_held_lte_balance"
            ),
            models.CheckConstraint(
                condition=Q(low_balance_threshold__lte=LOW_BALANCE_THRESHOLD_MAX),
                name="tokens_account_low_threshold_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.label}".strip()

    @property
    def available(self) -> int:
        """Tokens that can be reserved or spent now (as last loaded from the database)."""
        return self.balance - self.held

    @property
    def is_low(self) -> bool:
        """Available tokens below the account's threshold (never, with the threshold at 0)."""
        return self.available < self.low_balance_threshold


class LedgerEntry(models.Model):
    """One signed movement of tokens. Append-only: never updated, never deleted."""

    account = models.ForeignKey(TokenAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()
    kind = models.CharField(max_length=32, choices=EntryKind.choices)
    balance_after = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=255, unique=True)
    # Hash of the parameters the key was first used with; a repeat with other parameters is
    # an IdempotencyConflict rather than a silent no-op.
    request_hash = models.CharField(max_length=64, blank=True, editable=False)
    reference = models.CharField(max_length=255, blank=True, db_index=True)
    # What was bought with a spend (`ticket.standard`, ...) and who spent it (`user:<id>`,
    # `member:<id>`, `apikey:<id>`): usage, member limits and key budgets are read from here
    # without the ledger knowing what a ticket, a member or a key is.
    feature_key = models.CharField(max_length=100, blank=True)
    spender = models.CharField(max_length=64, blank=True)
    memo = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            # An account's history, newest first; it carries what the usage charts sum, so
            # a period's rollup reads the index alone (tokens.selectors.usage.get_rollup).
            models.Index(fields=["account", "-created_at"], name="tokens_entry_account_recent",
                         include=["kind", "amount", "feature_key"]),
            # The dashboard's range scans read only these columns: an index-only scan.
            models.Index(
                fields=["created_at"], include=["kind", "amount", "account"],
                name="tokens_entry_by_time",
            ),
            models.Index(
                fields=["account", "feature_key", "created_at"],
                condition=~Q(feature_key=""),
                name="tokens_entry_by_feature",
            ),
            models.Index(
                fields=["account", "spender", "created_at"],
                condition=~Q(spender=""),
                name="tokens_entry_by_spender",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="tokens_entry_amount_nonzero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="tokens_entry_balance_after_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} on #{self.account_id}"


class Lot(models.Model):
    """The credit made by one entry, and how much of it is still unspent."""

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="lot")
    account = models.ForeignKey(TokenAccount, on_delete=models.PROTECT, related_name="lots")
    source = models.CharField(max_length=16, choices=LotSource.choices)
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Spends read only the open lots of one account.
            models.Index(
                fields=["account"], condition=Q(remaining__gt=0), name="tokens_lot_open_by_account"
            ),
            models.Index(
                fields=["expires_at"], condition=Q(remaining__gt=0), name="tokens_lot_open_expiry"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="tokens_lot_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="tokens_lot_remaining_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk} ({self.source}) {self.remaining}/{self.amount}"


class LotConsumption(models.Model):
    """How much of a lot a debit entry used up."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="consumptions")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="consumptions")
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="tokens_consumption_amount_gt_0"
            ),
            models.UniqueConstraint(
                fields=["entry", "lot"], name="tokens_consumption_once_per_lot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} from lot {self.lot_id} by entry {self.entry_id}"


class SpendTally(models.Model):
    """What one spender spent from an account on one UTC day: the running sum of its `spend`
    entries, written in the same statement sequence as each entry (so in its transaction),
    so a limit reads a month as at most 31 rows per spender instead of every entry.
    `ledger_audit` checks every tally against the entries."""

    account = models.ForeignKey(TokenAccount, on_delete=models.PROTECT, related_name="+")
    spender = models.CharField(max_length=64, blank=True)
    day = models.DateField()
    tokens = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "spender", "day"],
                                    name="tokens_one_tally_per_spender_day"),
        ]

    def __str__(self) -> str:
        return f"{self.spender or 'unattributed'} spent {self.tokens} on {self.day}"


class Hold(models.Model):
    """Tokens reserved for work in progress: captured on success, released on failure."""

    account = models.ForeignKey(TokenAccount, on_delete=models.PROTECT, related_name="holds")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=HoldStatus.choices, default=HoldStatus.PENDING)
    idempotency_key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64, blank=True, editable=False)
    reference = models.CharField(max_length=255, blank=True, db_index=True)
    # Copied onto the spend entry at capture (see LedgerEntry).
    feature_key = models.CharField(max_length=100, blank=True)
    spender = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="pending"),
                name="tokens_hold_pending_expiry",
            ),
            # A limit counts what a spender has pending on a pool in the hold transaction.
            models.Index(
                fields=["account", "spender"],
                condition=Q(status="pending") & ~Q(spender=""),
                name="tokens_hold_pending_spender",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="tokens_hold_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} {self.amount} ({self.status})"

    @property
    def capture_key(self) -> str:
        """Idempotency key of the spend entry that captures this hold."""
        return f"hold:{self.pk}:capture"


class Price(models.Model):
    """What a feature costs in tokens. Staff edit these in the admin; views never hard-code."""

    feature_key = models.CharField(max_length=100, unique=True)
    tokens = models.PositiveIntegerField()
    label = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["feature_key"]
        constraints = [
            models.CheckConstraint(condition=Q(tokens__gt=0), name="tokens_price_tokens_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.feature_key} = {self.tokens}"


class LedgerAuditRun(models.Model):
    """The result of one `ledger_audit` run (nightly by Celery beat), shown on the dashboard."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    ok = models.BooleanField()
    accounts_checked = models.PositiveIntegerField()
    entries_checked = models.PositiveBigIntegerField()
    mismatches = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"ledger audit {self.started_at:%Y-%m-%d %H:%M}: {'OK' if self.ok else 'MISMATCH'}"
