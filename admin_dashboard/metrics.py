"""The overview's figures and charts: a fixed number of grouped selector queries, whatever
the data size, folded into figures here."""

from dataclasses import dataclass

from accounts import selectors as accounts_selectors
from admin_dashboard.periods import Period
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


def overview(period: Period) -> dict:
    window = {"start": period.start, "end": period.end, "prev_start": period.prev_start}
    signups = accounts_selectors.count_signups(**window)
    active = accounts_selectors.count_active_users(**window)
    visitors = accounts_selectors.count_visitors(**window)
    tickets = tickets_selectors.ticket_counts(**window)
    latency = tickets_selectors.latency_percentiles(**window)
    money = billing_selectors.purchase_totals(**window)
    token_rows, token_days = _token_figures(
        period,
        tokens_selectors.sum_entries_by_day_and_kind(start=period.prev_start, end=period.end),
    )
    figures = [
        Figure("Sign-ups", *signups),
        Figure("Active users", *active),
        Figure("New visitors", *visitors),
        Figure("Tickets", tickets["current"]["total"], tickets["previous"]["total"]),
        Figure("Tickets ready", tickets["current"]["succeeded"],
               tickets["previous"]["succeeded"]),
        Figure("Tickets failed", tickets["current"]["failed"], tickets["previous"]["failed"]),
        Figure("Median latency", latency["current"]["p50"], latency["previous"]["p50"], "ms"),
        Figure("p95 latency", latency["current"]["p95"], latency["previous"]["p95"], "ms"),
        Figure("Purchases", money["current"]["count"], money["previous"]["count"]),
        Figure("Gross revenue", money["current"]["gross"], money["previous"]["gross"], "money"),
        Figure("Refunded", money["current"]["refunded"], money["previous"]["refunded"], "money"),
        Figure("Net revenue", money["current"]["net"], money["previous"]["net"], "money"),
    ]
    day_window = {"start": period.start, "end": period.end}
    signup_days = accounts_selectors.signups_by_day(**day_window)
    revenue_days = billing_selectors.revenue_by_day(**day_window)
    charts = [
        line_chart("Sign-ups per day", _series(period, signup_days, "count")),
        bar_chart("Tickets ready per day", _series(period, tickets["by_day"], "succeeded")),
        bar_chart("Gross revenue per day ($)", _series(period, revenue_days, "gross", _dollars)),
        line_chart("Tokens credited per day", _series(period, token_days, "credited")),
    ]
    return {
        "figures": figures,
        "token_rows": token_rows,
        "by_type": tickets["by_type"],
        "revenue_days": revenue_days,
        "charts": charts,
    }
