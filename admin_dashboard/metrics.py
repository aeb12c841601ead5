"""The overview's figures and charts: a fixed number of grouped selector queries, whatever
the data size, folded into figures here.

On PostgreSQL the ticket, ledger, spender, latency and sign-up figures come from the daily
rollups (`admin_dashboard.rollups`): a few hundred rows per range however much traffic it
saw. `overview(period, source=RAW)` computes the same figures from the raw tables; the tests
compare the two.
"""

from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import selectors as accounts_selectors
from admin_dashboard.periods import Period
from admin_dashboard.rollups import selectors as rollup_selectors
from billing import selectors as billing_selectors
from billing.money import format_money, major_units
from config.charts import bar_chart, line_chart
from tickets import selectors as tickets_selectors
from tokens import selectors as tokens_selectors
from tokens.models import EntryKind


@dataclass(frozen=True)
class Figure:
    label: str
    current: float | None
    previous: float | None
    unit: str = ""  # "" count, "money" smallest currency unit, "ms"

    @property
    def change(self) -> float | None:
        """Change from the previous period in percent; None when there is nothing to compare."""
        if self.current is None or not self.previous:
            return None
        return round(100 * (self.current - self.previous) / self.previous, 1)

    def _show(self, value) -> str:
        if value is None:
            return "—"
        if self.unit == "money":
            return format_money(value)
        if self.unit == "ms":
            return f"{value / 1000:,.1f} s" if value >= 1000 else f"{value:,.0f} ms"
        return f"{value:,}"

    @property
    def shown(self) -> str:
        return self._show(self.current)

    @property
    def shown_previous(self) -> str:
        return self._show(self.previous)


def _series(period: Period, rows: list[dict], field: str, unit=float) -> list:
    by_day = {row["day"]: row[field] or 0 for row in rows}
    return [(day.strftime("%m-%d"), unit(by_day.get(day, 0))) for day in period.day_list()]


def _dollars(cents: int) -> float:
    return float(major_units(cents))


def _token_figures(period: Period, rows: list[dict]) -> tuple[list[Figure], list[dict]]:
    """Per-kind totals for both periods and per-day credits, from the per-day-and-kind rows."""
    labels = dict(EntryKind.choices)
    kinds: dict = {}
    credited: dict = {}
    for row in rows:
        in_range = row["day"] >= period.first_day
        totals = kinds.setdefault(row["kind"], [0, 0])  # [current, previous]
        totals[0 if in_range else 1] += row["credited"] + row["debited"]
        if in_range:
            credited[row["day"]] = credited.get(row["day"], 0) + row["credited"]
    figures = [
        Figure(labels.get(kind, kind), current, previous)
        for kind, (current, previous) in sorted(kinds.items())
    ]
    return figures, [{"day": day, "credited": total} for day, total in credited.items()]


# Where the figures that grow with traffic are read from.
RAW = SimpleNamespace(
    count_signups=accounts_selectors.count_signups,
    signups_by_day=accounts_selectors.signups_by_day,
    count_active_users=accounts_selectors.count_active_users,
    count_visitors=accounts_selectors.count_visitors,
    ticket_counts=tickets_selectors.ticket_counts,
    latency_percentiles=tickets_selectors.latency_percentiles,
    sum_entries_by_day_and_kind=tokens_selectors.sum_entries_by_day_and_kind,
)


def _rollup_ticket_counts(*, start, end, prev_start) -> dict:
    rows = rollup_selectors.ticket_rows(start=start, end=end, prev_start=prev_start)
    return tickets_selectors.fold_ticket_counts(rows, first_day=timezone.localtime(start).date())


ROLLUPS = SimpleNamespace(
    count_signups=rollup_selectors.count_signups,
    signups_by_day=rollup_selectors.signups_by_day,
    count_active_users=rollup_selectors.count_active_users,
    count_visitors=rollup_selectors.count_visitors,
    ticket_counts=_rollup_ticket_counts,
    latency_percentiles=rollup_selectors.latency_percentiles,
    sum_entries_by_day_and_kind=rollup_selectors.sum_entries_by_day_and_kind,
)


def overview(period: Period, *, source: SimpleNamespace | None = None) -> dict:
    """The overview of `period`. `source`: RAW or ROLLUPS; by default the rollups when they
    can answer (`rollups_ready`), else the raw tables."""
    if source is None:
        source = ROLLUPS if rollup_selectors.rollups_ready() else RAW
    if source is ROLLUPS and not connection.in_atomic_block:
        # One snapshot for every read: a latency bucket's tickets are counted by one query
        # and read by the next, and concurrent writes must not fall between them.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return _overview(period, source)
    return _overview(period, source)


def _overview(period: Period, source: SimpleNamespace) -> dict:
    window = {"start": period.start, "end": period.end, "prev_start": period.prev_start}
    signups = source.count_signups(**window)
    active = source.count_active_users(**window)
    visitors = source.count_visitors(**window)
    tickets = source.ticket_counts(**window)
    latency = source.latency_percentiles(**window)
    money = billing_selectors.purchase_totals(**window)
    token_rows, token_days = _token_figures(
        period,
        source.sum_entries_by_day_and_kind(start=period.prev_start, end=period.end),
    )
    figures = [
        Figure(_("Sign-ups"), *signups),
        Figure(_("Active users"), *active),
        Figure(_("New visitors"), *visitors),
        Figure(_("Tickets"), tickets["current"]["total"], tickets["previous"]["total"]),
        Figure(_("Tickets ready"), tickets["current"]["succeeded"],
               tickets["previous"]["succeeded"]),
        Figure(_("Tickets failed"), tickets["current"]["failed"], tickets["previous"]["failed"]),
        Figure(_("Median latency"), latency["current"]["p50"], latency["previous"]["p50"], "ms"),
        Figure(_("p95 latency"), latency["current"]["p95"], latency["previous"]["p95"], "ms"),
        Figure(_("Purchases"), money["current"]["count"], money["previous"]["count"]),
        Figure(_("Gross revenue"), money["current"]["gross"], money["previous"]["gross"], "money"),
        Figure(_("Refunded"), money["current"]["refunded"], money["previous"]["refunded"], "money"),
        Figure(_("Net revenue"), money["current"]["net"], money["previous"]["net"], "money"),
    ]
    day_window = {"start": period.start, "end": period.end}
    signup_days = source.signups_by_day(**day_window)
    revenue_days = billing_selectors.revenue_by_day(**day_window)
    charts = [
        line_chart(_("Sign-ups per day"), _series(period, signup_days, "count")),
        bar_chart(_("Tickets ready per day"), _series(period, tickets["by_day"], "succeeded")),
        bar_chart(_("Gross revenue per day ($)"), _series(period, revenue_days, "gross", _dollars)),
        line_chart(_("Tokens credited per day"), _series(period, token_days, "credited")),
    ]
    return {
        "figures": figures,
        "token_rows": token_rows,
        "by_type": tickets["by_type"],
        "revenue_days": revenue_days,
        "charts": charts,
    }
