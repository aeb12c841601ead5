"""Reads from the token ledger. Nothing here writes."""

from dataclasses import dataclass
from datetime import UTC

from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from config.shared_tables import SharedTable
from tokens.exceptions import UnknownPrice
from tokens.models import (
    EntryKind,
    Hold,
    HoldStatus,
    LedgerEntry,
    Lot,
    LotConsumption,
    Price,
    SpendTally,
    TokenAccount,
)


def get_balance(account: TokenAccount) -> tuple[int, int, int]:
    """(balance, held, available) read fresh from the database; available = balance - held."""
    balance, held = TokenAccount.objects.values_list("balance", "held").get(pk=account.pk)
    return balance, held, balance - held


def list_entries(
    account: TokenAccount, *, kinds: list[str] | None = None, reference: str | None = None
) -> QuerySet[LedgerEntry]:
    """The account's entries, newest first; optionally only some kinds or one reference."""
    entries = LedgerEntry.objects.filter(account=account).order_by("-created_at", "-id")
    if kinds:
        entries = entries.filter(kind__in=kinds)
    if reference is not None:
        entries = entries.filter(reference=reference)
    return entries


def list_lots(account: TokenAccount, *, open_only: bool = False) -> QuerySet[Lot]:
    """The account's lots (with their credit entry), newest first; `open_only`: remaining > 0."""
    lots = Lot.objects.filter(account=account).select_related("entry").order_by("-id")
    return lots.filter(remaining__gt=0) if open_only else lots


def list_holds(account: TokenAccount, *, status: str | None = None) -> QuerySet[Hold]:
    holds = Hold.objects.filter(account=account).order_by("-created_at", "-id")
    return holds.filter(status=status) if status else holds


def get_hold(*, pk: int | None = None, idempotency_key: str | None = None) -> Hold | None:
    """The hold with this id or idempotency key, or None."""
    if pk is not None:
        return Hold.objects.filter(pk=pk).first()
    if idempotency_key is not None:
        return Hold.objects.filter(idempotency_key=idempotency_key).first()
    return None


def _load_prices() -> dict[str, Price]:
    return {price.feature_key: price for price in Price.objects.filter(active=True)}


# Read on every page that shows a price and by every submit; changed a few times a year.
PRICE_TABLE = SharedTable("prices", _load_prices)


def active_prices() -> dict[str, Price]:
    """Every active `Price` by feature key: one cache round trip, the database on a miss."""
    return PRICE_TABLE.get()


def get_price(feature_key: str) -> Price:
    """The active `Price` row for a feature (use `.tokens` and `.label`).

    Raises `tokens.exceptions.UnknownPrice` (a LookupError) when the key is unknown or the
    price is inactive: a feature without a price must not be usable for free.
    """
    price = active_prices().get(feature_key)
    if price is None:
        raise UnknownPrice(feature_key)
    return price


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between a stored figure and what the ledger rows say it must be."""

    account_id: int
    check: str
    stored: int
    expected: int

    def __str__(self) -> str:
        return (
            f"account #{self.account_id}: {self.check} is {self.stored}, "
            f"the ledger says {self.expected}"
        )


def _sum_of(queryset: QuerySet, *, group_by: str, field: str = "amount") -> Coalesce:
    """Correlated subquery: SUM(field) of `queryset` (already filtered on OuterRef), or 0."""
    totals = queryset.order_by().values(group_by).annotate(total=Sum(field)).values("total")
    return Coalesce(
        Subquery(totals[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def find_balance_mismatches() -> list[Mismatch]:
    """Every place where stored figures disagree with the ledger rows.

    Checks per account: balance = sum of entries; held = sum of pending holds; balance = sum
    of lot remainders. Per lot: remaining = amount - consumptions. Empty list = healthy.
    """
    accounts = TokenAccount.objects.annotate(
        entry_sum=_sum_of(LedgerEntry.objects.filter(account=OuterRef("pk")), group_by="account"),
        pending_sum=_sum_of(
            Hold.objects.filter(account=OuterRef("pk"), status=HoldStatus.PENDING),
            group_by="account",
        ),
        lot_sum=_sum_of(
            Lot.objects.filter(account=OuterRef("pk")), group_by="account", field="remaining"
        ),
    ).filter(~Q(balance=F("entry_sum")) | ~Q(held=F("pending_sum")) | ~Q(balance=F("lot_sum")))
    found: list[Mismatch] = []
    for account in accounts.order_by("pk"):
        for check, stored, expected in (
            ("balance vs entries", account.balance, account.entry_sum),
            ("held vs pending holds", account.held, account.pending_sum),
            ("balance vs lot remainders", account.balance, account.lot_sum),
        ):
            if stored != expected:
                found.append(Mismatch(account.pk, check, stored, expected))
    found += _tally_mismatches()
    lots = Lot.objects.annotate(
        used=_sum_of(LotConsumption.objects.filter(lot=OuterRef("pk")), group_by="lot")
    ).exclude(remaining=F("amount") - F("used"))
    for lot in lots.order_by("pk"):
        found.append(
            Mismatch(
                lot.account_id, f"lot {lot.pk} remaining", lot.remaining, lot.amount - lot.used
            )
        )
    return found


def _tally_mismatches() -> list[Mismatch]:
    """Each spender's daily tally that disagrees with the spend entries it sums."""
    day = TruncDate("created_at", tzinfo=UTC)
    entries = {
        (row["account_id"], row["spender"], row["day"]): -row["total"]
        for row in LedgerEntry.objects.filter(kind=EntryKind.SPEND).annotate(day=day)
        .values("account_id", "spender", "day").annotate(total=Sum("amount")).order_by()
    }
    tallies = {(t.account_id, t.spender, t.day): t.tokens for t in SpendTally.objects.all()}
    return [
        Mismatch(key[0], f"spend tally of {key[1] or 'no spender'} on {key[2]}",
                 tallies.get(key, 0), entries.get(key, 0))
        for key in sorted(entries.keys() | tallies.keys(), key=str)
        if tallies.get(key, 0) != entries.get(key, 0)
    ]


# --- Staff dashboard figures (one query each, whatever the number of rows) -----------------


def sum_entries_by_day_and_kind(*, start, end) -> list[dict]:
    """Per local day in [start, end) and entry kind: tokens credited (positive amounts) and
    debited (negative amounts). One grouped scan; callers fold it into per-kind totals or
    per-day series (the dashboard reads both from one query)."""
    from django.db.models.functions import TruncDate

    return list(
        LedgerEntry.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day", "kind")
        .annotate(
            credited=Coalesce(Sum("amount", filter=Q(amount__gt=0)), 0),
            debited=Coalesce(Sum("amount", filter=Q(amount__lt=0)), 0),
        )
        .order_by("day", "kind")
    )


def count_holds(*, now) -> dict:
    """Pending holds, pending ones past their expiry (the sweeper is behind), and expired ones."""
    from django.db.models import Count

    return Hold.objects.aggregate(
        pending=Count("id", filter=Q(status=HoldStatus.PENDING)),
        overdue=Count("id", filter=Q(status=HoldStatus.PENDING, expires_at__lt=now)),
        expired=Count("id", filter=Q(status=HoldStatus.EXPIRED)),
    )


def get_last_audit_run():
    """The most recent stored `ledger_audit` result, or None."""
    from tokens.models import LedgerAuditRun

    return LedgerAuditRun.objects.order_by("-started_at", "-id").first()


def credited_by_kind(*, start, end, kinds) -> dict[str, int]:
    """Tokens credited in [start, end) per entry kind of `kinds` (0 for a kind with none)."""
    rows = (LedgerEntry.objects.filter(created_at__gte=start, created_at__lt=end,
                                       kind__in=kinds, amount__gt=0)
            .values("kind").annotate(total=Sum("amount")).values_list("kind", "total"))
    return dict.fromkeys(kinds, 0) | dict(rows)
