"""Usage reads: where an account's tokens came from, where they went, and how long they last.

Everything here reads the ledger and writes nothing. Each function costs a fixed number of
queries whatever the length of the history (keyset pagination, grouped scans, one batch per
page for lots and references), so the usage page is as fast with 100,000 entries as with 10
(bench/usage.py). Owners render it: the user's usage page, the staff user page and, later, a
team's usage page call the same functions with their account.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from tokens.models import EntryKind, Hold, HoldStatus, LedgerEntry, Lot, LotConsumption, Price
from tokens.references import Described, describe_references

# Where tokens came from, by the kind of the entry that credited them. The labels and titles
# below are English here and translated where they are read (`source_label`, `title`, the
# usage charts), so a key stays the same in every language.
SOURCE_LABELS = {
    EntryKind.PURCHASE: gettext_noop("Purchased"),
    EntryKind.SUBSCRIPTION: gettext_noop("Plan allowance"),
    EntryKind.PURCHASE_BONUS: gettext_noop("Purchase bonus"),
    EntryKind.WELCOME: gettext_noop("Welcome bonus"),
    EntryKind.VISITOR_GRANT: gettext_noop("Free trial"),
    EntryKind.TRANSFER_IN: gettext_noop("Carried over"),
    EntryKind.PROMO: gettext_noop("Promotion"),
    EntryKind.ADJUSTMENT: gettext_noop("Added by support"),
    EntryKind.REFERRAL: gettext_noop("Referral reward"),
    EntryKind.DAILY_BONUS: gettext_noop("Daily bonus"),
    EntryKind.GIFT: gettext_noop("Gift"),
}
# The history's kind filter: each category, the entry kinds it takes and whether only their
# credits (a positive adjustment is a grant; a negative one is not).
CATEGORIES = {
    "spent": (gettext_lazy("Spent"), (EntryKind.SPEND,), False),
    "bought": (gettext_lazy("Bought"), (EntryKind.PURCHASE, EntryKind.SUBSCRIPTION), False),
    "granted": (gettext_lazy("Granted"), (
        EntryKind.WELCOME, EntryKind.VISITOR_GRANT, EntryKind.PROMO, EntryKind.PURCHASE_BONUS,
        EntryKind.TRANSFER_IN, EntryKind.ADJUSTMENT, EntryKind.REFERRAL, EntryKind.DAILY_BONUS,
        EntryKind.GIFT), True),
    "refunded": (gettext_lazy("Refunded"), (EntryKind.REFUND_CLAWBACK,), False),
    "expired": (gettext_lazy("Expired"), (EntryKind.EXPIRY,), False),
}


def category_query(category: str) -> Q:
    _, kinds, credits_only = CATEGORIES[category]
    return Q(kind__in=kinds, amount__gt=0) if credits_only else Q(kind__in=kinds)


# (kind, is a credit) -> category, from CATEGORIES: read once per movement of an export.
_CATEGORY_OF = {
    (kind, credit): category
    for category, (_, kinds, credits_only) in CATEGORIES.items()
    for kind in kinds
    for credit in (True, False)
    if credit or not credits_only
}


def category_of(kind: str, amount: int) -> str:
    """The category an entry falls in ("" for none: a transfer out, a negative adjustment)."""
    return _CATEGORY_OF.get((kind, amount > 0), "")


# How a movement reads when no app describes its reference.
_DEFAULT_TITLES = {
    EntryKind.SPEND: gettext_noop("Spent"),
    EntryKind.PURCHASE: gettext_noop("Bought tokens"),
    EntryKind.SUBSCRIPTION: gettext_noop("Plan allowance"),
    EntryKind.PURCHASE_BONUS: gettext_noop("Bonus tokens"),
    EntryKind.REFUND_CLAWBACK: gettext_noop("Refund"),
    EntryKind.EXPIRY: gettext_noop("Tokens expired"),
    EntryKind.TRANSFER_IN: gettext_noop("Transferred in"),
    EntryKind.TRANSFER_OUT: gettext_noop("Transferred out"),
    EntryKind.ADJUSTMENT: gettext_noop("Adjustment by support"),
    EntryKind.REFERRAL: gettext_noop("Referral reward"),
    EntryKind.DAILY_BONUS: gettext_noop("Daily bonus"),
    EntryKind.GIFT: gettext_noop("Gift received"),
}
# How a described movement reads: "Bought Professional pack", "Refund of Professional pack".
_DESCRIBED_TITLES = {
    EntryKind.PURCHASE: gettext_noop("Bought %(item)s"),
    EntryKind.PURCHASE_BONUS: gettext_noop("Bonus with %(item)s"),
    EntryKind.REFUND_CLAWBACK: gettext_noop("Refund of %(item)s"),
}
# Credits over time, in three groups.
CREDIT_GROUPS = {
    EntryKind.PURCHASE: gettext_noop("Purchased"),
    EntryKind.SUBSCRIPTION: gettext_noop("Purchased"),
    EntryKind.TRANSFER_IN: gettext_noop("Transferred"),
    EntryKind.WELCOME: gettext_noop("Granted"),
    EntryKind.VISITOR_GRANT: gettext_noop("Granted"),
    EntryKind.PROMO: gettext_noop("Granted"),
    EntryKind.PURCHASE_BONUS: gettext_noop("Granted"),
    EntryKind.ADJUSTMENT: gettext_noop("Granted"),
    EntryKind.REFERRAL: gettext_noop("Granted"),
    EntryKind.DAILY_BONUS: gettext_noop("Granted"),
    EntryKind.GIFT: gettext_noop("Transferred"),
}
BUCKETS = ("day", "week", "month")
HISTORY_PAGE = 25
FORECAST_WINDOW_DAYS = 30
FORECAST_MIN_DAYS = 7
# Runways longer than this read "more than a year".
FORECAST_HORIZON_DAYS = 365


def source_label(kind: str) -> str:
    """Where tokens credited by an entry of this kind came from, in words (the active
    language)."""
    if kind in SOURCE_LABELS:
        return gettext(SOURCE_LABELS[kind])
    return EntryKind(kind).label if kind in EntryKind.values else kind


def feature_labels() -> dict[str, str]:
    """Every price's label by feature key (a small table, read once per page)."""
    return dict(Price.objects.values_list("feature_key", "label"))


def tier_of(feature_key: str) -> str:
    """The model tier a feature was bought at: `ticket.improve.advanced` -> "Advanced"."""
    return feature_key.rsplit(".", 1)[-1].capitalize() if feature_key else "Other"


# --- balance and composition ----------------------------------------------------------------


@dataclass(frozen=True)
class SourceBalance:
    kind: str
    label: str
    remaining: int
    expires_at: datetime | None  # the soonest expiry of these tokens
    expiring: int  # how many expire then


@dataclass(frozen=True)
class PendingHold:
    amount: int
    feature_key: str
    feature_label: str
    created_at: datetime
    described: Described | None


@dataclass(frozen=True)
class Composition:
    balance: int
    held: int
    sources: list[SourceBalance]
    holds: list[PendingHold]

    @property
    def available(self) -> int:
        return self.balance - self.held


def get_composition(account, *, labels: dict[str, str] | None = None) -> Composition:
    """The account's balance now: what is held and for what, and the remaining tokens by where
    they came from, each with its soonest expiry. Three queries."""
    labels = feature_labels() if labels is None else labels
    lots = Lot.objects.filter(account=account, remaining__gt=0).values_list(
        "entry__kind", "remaining", "expires_at")
    by_kind: dict[str, list] = defaultdict(list)
    for kind, remaining, expires_at in lots:
        by_kind[kind].append((remaining, expires_at))
    sources = []
    for kind, rows in by_kind.items():
        dated = [expires_at for _, expires_at in rows if expires_at is not None]
        soonest = min(dated, default=None)
        sources.append(SourceBalance(
            kind=kind, label=source_label(kind), remaining=sum(r for r, _ in rows),
            expires_at=soonest,
            expiring=sum(r for r, e in rows if soonest is not None and e == soonest)))
    sources.sort(key=lambda s: (s.expires_at is None, s.expires_at or 0, -s.remaining))
    pending = list(Hold.objects.filter(account=account, status=HoldStatus.PENDING)
                   .order_by("-created_at").values_list("amount", "feature_key", "reference",
                                                        "created_at"))
    described = describe_references(reference for _, _, reference, _ in pending if reference)
    holds = [PendingHold(amount=amount, feature_key=key, feature_label=labels.get(key, key),
                         created_at=created, described=described.get(reference))
             for amount, key, reference, created in pending]
    balance = sum(source.remaining for source in sources)
    return Composition(balance=balance, held=sum(h.amount for h in holds), sources=sources,
                       holds=holds)


# --- history --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryFilter:
    category: str = ""  # a CATEGORIES key, or "" for every movement
    feature_key: str = ""
    since: date | None = None  # inclusive, local dates
    until: date | None = None

    def q(self) -> Q:
        query = Q()
        if self.category:
            query &= category_query(self.category)
        if self.feature_key:
            query &= Q(feature_key=self.feature_key)
        if self.since:
            query &= Q(created_at__gte=_local_midnight(self.since))
        if self.until:
            query &= Q(created_at__lt=_local_midnight(self.until + timedelta(days=1)))
        return query


@dataclass(slots=True)
class Movement:
    id: int
    created_at: datetime
    kind: str
    amount: int
    balance_after: int
    feature_key: str
    feature_label: str
    reference: str
    memo: str
    described: Described | None = None
    # Where the tokens of a debit came from: [(source label, tokens)], largest first.
    paid_from: list[tuple[str, int]] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.described is not None:
            pattern = _DESCRIBED_TITLES.get(self.kind)
            return (gettext(pattern) % {"item": self.described.text} if pattern
                    else self.described.text)
        if self.kind in (EntryKind.WELCOME, EntryKind.VISITOR_GRANT, EntryKind.PROMO) \
                and self.memo:
            return self.memo
        title = _DEFAULT_TITLES.get(self.kind)
        return gettext(title) if title else source_label(self.kind)

    @property
    def category(self) -> str:
        return category_of(self.kind, self.amount)

    @property
    def paid_from_text(self) -> str:
        """"from welcome tokens", "from purchased and welcome tokens"."""
        if not self.paid_from:
            return ""
        names = [label.lower() for label, _ in self.paid_from]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"from {joined} tokens"


@dataclass(frozen=True)
class HistoryPage:
    movements: list[Movement]
    next_cursor: str  # "" on the last page


class BadCursor(ValueError):
    """A history cursor that was not made by `list_movements`."""


def encode_cursor(created_at: datetime, entry_id: int) -> str:
    return f"{int(created_at.timestamp() * 1_000_000)}.{entry_id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        micros, entry_id = (int(part) for part in cursor.split("."))
        return datetime.fromtimestamp(micros / 1_000_000, tz=UTC), entry_id
    except (ValueError, OverflowError, OSError) as error:
        raise BadCursor(cursor) from error


_MOVEMENT_FIELDS = ("id", "created_at", "kind", "amount", "balance_after", "feature_key",
                    "reference", "memo")


def _movements(rows: list[tuple], labels: dict[str, str]) -> list[Movement]:
    """Movements from entry rows, with their references described and their debits' lots
    named: two queries for the whole batch (one per described prefix)."""
    movements = [Movement(*row[:6], feature_label=labels.get(row[5], row[5]), reference=row[6],
                          memo=row[7]) for row in rows]
    described = describe_references(m.reference for m in movements if m.reference)
    debits = [m.id for m in movements if m.amount < 0]
    paid: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry_id, kind, amount in LotConsumption.objects.filter(entry__id__any=debits).values_list(
            "entry_id", "lot__entry__kind", "amount"):
        paid[entry_id][source_label(kind)] += amount
    for movement in movements:
        movement.described = described.get(movement.reference)
        if movement.id in paid:
            movement.paid_from = sorted(paid[movement.id].items(), key=lambda kv: -kv[1])
    return movements


def list_movements(account, *, filters: HistoryFilter = HistoryFilter(), cursor: str = "",
                   limit: int = HISTORY_PAGE, labels: dict[str, str] | None = None
                   ) -> HistoryPage:
    """One page of the account's ledger movements, newest first, after `cursor` (keyset on
    (created_at, id): the same cost on page 1 and page 4,000). Raises BadCursor."""
    labels = feature_labels() if labels is None else labels
    entries = LedgerEntry.objects.filter(filters.q(), account=account)
    if cursor:
        at, entry_id = decode_cursor(cursor)
        entries = entries.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=entry_id))
    rows = list(entries.order_by("-created_at", "-id").values_list(*_MOVEMENT_FIELDS)[:limit + 1])
    more = len(rows) > limit
    movements = _movements(rows[:limit], labels)
    last = movements[-1] if more else None
    return HistoryPage(movements=movements,
                       next_cursor=encode_cursor(last.created_at, last.id) if last else "")


def iter_movements(account, *, filters: HistoryFilter = HistoryFilter(), batch: int = 2000,
                   labels: dict[str, str] | None = None) -> Iterator[Movement]:
    """Every movement the filters select, newest first, read `batch` rows at a time by keyset
    (constant memory, for the CSV export)."""
    labels = feature_labels() if labels is None else labels
    cursor = ""
    while True:
        page = list_movements(account, filters=filters, cursor=cursor, limit=batch,
                              labels=labels)
        yield from page.movements
        if not page.next_cursor:
            return
        cursor = page.next_cursor


# --- charts ---------------------------------------------------------------------------------


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_bucket(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def bucket_range(start: date, end: date, bucket: str) -> list[date]:
    """The bucket starts covering [start, end]."""
    days, day = [], bucket_start(start, bucket)
    while day <= end:
        days.append(day)
        day = _next_bucket(day, bucket)
    return days


@dataclass(frozen=True)
class Rollup:
    """An account's entries from `start` to `end` (local dates, inclusive) summed per bucket
    ("day", "week" or "month"), kind and feature: every chart of a period, from one grouped
    scan of the period's entries."""

    bucket: str
    start: date
    end: date
    # (bucket start, kind, feature key, net total, credited: the positive entries' sum)
    rows: list[tuple[date, str, str, int, int]]

    def spend_series(self) -> list[tuple[date, int]]:
        """Tokens spent per bucket, zero-filled."""
        spent: dict[date, int] = defaultdict(int)
        for day, kind, _, total, _ in self.rows:
            if kind == EntryKind.SPEND:
                spent[day] -= total
        return [(day, spent.get(day, 0)) for day in bucket_range(self.start, self.end,
                                                                 self.bucket)]

    def by_feature(self, labels: dict[str, str]) -> list[tuple[str, str, int]]:
        """(feature key, label, tokens spent), most first."""
        spent: dict[str, int] = defaultdict(int)
        for _, kind, feature, total, _ in self.rows:
            if kind == EntryKind.SPEND:
                spent[feature] -= total
        found = [(key, labels.get(key, key or "Other"), total) for key, total in spent.items()]
        return sorted(found, key=lambda row: (-row[2], row[1]))

    def credits_by_month(self) -> list[tuple[date, dict[str, int]]]:
        """Tokens received per month, in CREDIT_GROUPS (purchased, granted, transferred),
        zero-filled; only credits count (a negative adjustment is not one)."""
        groups = list(dict.fromkeys(CREDIT_GROUPS.values()))
        credited: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(groups, 0))
        for day, kind, _, _, positive in self.rows:
            if kind in CREDIT_GROUPS and positive:
                credited[bucket_start(day, "month")][CREDIT_GROUPS[kind]] += positive
        return [(month, dict(credited.get(month) or dict.fromkeys(groups, 0)))
                for month in bucket_range(self.start, self.end, "month")]


def get_rollup(account, *, bucket: str, start: date, end: date) -> Rollup:
    """The account's `Rollup` for a period. One grouped query over the period's entries,
    answered from the index on (account, created_at) that carries kind, amount and feature."""
    rows = (LedgerEntry.objects
            .filter(account=account,
                    created_at__gte=_local_midnight(bucket_start(start, bucket)),
                    created_at__lt=_local_midnight(end + timedelta(days=1)))
            .annotate(bucket=Trunc("created_at", bucket))
            .values_list("bucket", "kind", "feature_key")
            .annotate(total=Sum("amount"),
                      credited=Coalesce(Sum("amount", filter=Q(amount__gt=0)), 0))
            .order_by())
    return Rollup(bucket=bucket, start=start, end=end, rows=[
        (timezone.localtime(when).date() if isinstance(when, datetime) else when, kind,
         feature, total, credited)
        for when, kind, feature, total, credited in rows
    ])


def spend_series(account, *, bucket: str, start: date, end: date) -> list[tuple[date, int]]:
    """Tokens spent per bucket from `start` to `end`, zero-filled (one query)."""
    return get_rollup(account, bucket=bucket, start=start, end=end).spend_series()


def spend_by_tier(by_feature: list[tuple[str, str, int]]) -> list[tuple[str, int]]:
    """The same spending by model tier (Standard, Advanced), from `Rollup.by_feature`."""
    tiers: dict[str, int] = defaultdict(int)
    for key, _, spent in by_feature:
        tiers[tier_of(key)] += spent
    return sorted(tiers.items(), key=lambda kv: -kv[1])


# --- forecast -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """How long the available tokens last at the recent pace of spending.

    `status`: "enough" (a forecast), "short" (fewer than FORECAST_MIN_DAYS of spending
    history: no number), "idle" (nothing spent in the window), "empty" (nothing available).
    The pace is tokens spent per day over the window (purchases and grants never count); the
    range comes from the spread of the daily spending (a 95% interval of the mean)."""

    status: str
    available: int
    window_days: int = 0
    per_day: float = 0.0
    days_low: float = 0.0
    days_high: float = 0.0
    today: date | None = None

    @property
    def days(self) -> float:
        return self.available / self.per_day if self.per_day else math.inf

    @property
    def until_low(self) -> date | None:
        return self._date(self.days_low)

    @property
    def until_high(self) -> date | None:
        return self._date(self.days_high)

    @property
    def beyond_horizon(self) -> bool:
        return self.days_low > FORECAST_HORIZON_DAYS

    def _date(self, days: float) -> date | None:
        if self.today is None or days > FORECAST_HORIZON_DAYS:
            return None
        return self.today + timedelta(days=math.floor(days))


def forecast_runway(account, *, now: datetime | None = None, available: int | None = None,
                    daily: list[tuple[date, int]] | None = None) -> Forecast:
    """The runway of the account's available tokens at the pace of the last
    FORECAST_WINDOW_DAYS (two queries). A history shorter than FORECAST_MIN_DAYS gives no
    number: the window starts at the first spend when the account spent nothing before it.
    `daily`: the window's spending per day if the caller has it already (a day chart)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if available is None:
        account.refresh_from_db(fields=["balance", "held"])
        available = account.available
    if available <= 0:
        return Forecast(status="empty", available=0, today=today)
    start = today - timedelta(days=FORECAST_WINDOW_DAYS - 1)
    spends = LedgerEntry.objects.filter(account=account, kind=EntryKind.SPEND)
    if daily is None or (daily and daily[0][0] != start):
        daily = spend_series(account, bucket="day", start=start, end=today)
    daily = dict(daily)
    if not any(daily.values()):
        return Forecast(status="idle", available=available, today=today)
    if spends.filter(created_at__lt=_local_midnight(start)).exists():
        first = start
    else:  # the history starts at the first spend in the window
        first = min(day for day, spent in daily.items() if spent)
    window = (today - first).days + 1
    if window < FORECAST_MIN_DAYS:
        return Forecast(status="short", available=available, window_days=window, today=today)
    values = [daily[day] for day in sorted(daily) if day >= first]
    mean = sum(values) / window
    margin = 1.96 * statistics.pstdev(values) / math.sqrt(window)
    fast, slow = mean + margin, max(mean - margin, 0.0)
    return Forecast(
        status="enough", available=available, window_days=window, per_day=mean,
        days_low=available / fast,
        days_high=available / slow if slow > 0 else math.inf,
        today=today,
    )


# --- statements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One calendar month of an account: opening balance + movements = closing balance."""

    month: date
    opening: int
    closing: int
    movements: list[Movement]

    @property
    def credits(self) -> int:
        return sum(m.amount for m in self.movements if m.amount > 0)

    @property
    def debits(self) -> int:
        return sum(m.amount for m in self.movements if m.amount < 0)

    @property
    def reconciles(self) -> bool:
        return self.opening + self.credits + self.debits == self.closing


def _balance_before(account, moment: datetime) -> int:
    """The balance after the account's last entry before `moment` (entries are written under
    the account's lock, in (created_at, id) order)."""
    last = (LedgerEntry.objects.filter(account=account, created_at__lt=moment)
            .order_by("-created_at", "-id").values_list("balance_after", flat=True).first())
    return last or 0


def get_statement(account, *, month: date) -> Statement:
    """The statement of the calendar month containing `month` (local time)."""
    first = month.replace(day=1)
    start, end = _local_midnight(first), _local_midnight(_next_bucket(first, "month"))
    rows = list(LedgerEntry.objects.filter(account=account, created_at__gte=start,
                                           created_at__lt=end)
                .order_by("created_at", "id").values_list(*_MOVEMENT_FIELDS))
    return Statement(month=first, opening=_balance_before(account, start),
                     closing=_balance_before(account, end),
                     movements=_movements(rows, feature_labels()))


def statement_months(account, *, now: datetime | None = None) -> list[date]:
    """The months from the account's first entry to this one, newest first (two index reads,
    however long the history)."""
    first = (LedgerEntry.objects.filter(account=account).order_by("created_at", "id")
             .values_list("created_at", flat=True).first())
    if first is None:
        return []
    today = timezone.localtime(now or timezone.now()).date()
    return bucket_range(timezone.localtime(first).date(), today, "month")[::-1]
