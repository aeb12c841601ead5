"""Subscriptions: recurring revenue, subscribers by plan, trials and their conversion, churn,
payments in trouble and promotion code redemptions — each figure beside the rows it counts."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from admin_dashboard.access import staff_only
from admin_dashboard.exports import csv_response, wants_csv
from admin_dashboard.periods import period_from_request
from billing import subscription_metrics as metrics
from billing.money import format_money

# Each list shows this many rows; its CSV has all of them.
SHOWN = 50

SUBSCRIPTION_HEADER = ["subscription", "email", "plan", "status", "started", "trial_end",
                       "period_end", "cancel_at_period_end", "reason", "ended", "paying"]


def _subscription_rows(rows):
    for s in rows.iterator(chunk_size=2000):
        yield (s.stripe_subscription_id, s.user.email if s.user else "", s.plan.name,
               s.get_status_display(), s.started_at, s.trial_end, s.current_period_end,
               s.cancel_at_period_end, s.cancel_reason, s.ended_at, s.paying)


def _lists(period, now) -> dict:
    return {
        "trialing": metrics.trialing_subscriptions(),
        "trouble": metrics.subscriptions_in_trouble(),
        "cancelling": metrics.cancelling_subscriptions(),
        "started": metrics.started_subscriptions(start=period.start, end=period.end),
        "trials_ended": metrics.ended_trials(start=period.start, end=period.end, now=now),
        "churned": metrics.churned_subscriptions(start=period.start, end=period.end),
        "paying_at_start": metrics.paying_at(period.start),
    }


def _export(period, lists: dict, name: str):
    stamp = f"{period.first_day}-{period.last_day}"
    if name == "redemptions":
        return csv_response(
            f"redemptions-{stamp}",
            ["at", "code", "email", "what", "charged", "discount", "currency"],
            ((r.at, r.code, r.email, r.what, r.charged_cents, r.discount_cents, r.currency)
             for r in metrics.redemptions(start=period.start, end=period.end)))
    if name not in lists:
        raise Http404
    return csv_response(f"subscriptions-{name}-{stamp}", SUBSCRIPTION_HEADER,
                        _subscription_rows(lists[name]))


def _shown(rows) -> dict:
    return {"rows": list(rows[:SHOWN]), "count": rows.count()}


@staff_only
@require_GET
def subscriptions(request):
    period, range_form = period_from_request(request)
    now = timezone.now()
    lists = _lists(period, now)
    if wants_csv(request):
        return _export(period, lists, request.GET.get("list", ""))
    shown = {name: _shown(rows) for name, rows in lists.items() if name != "paying_at_start"}
    trials_ended = shown["trials_ended"]["count"]
    converted = lists["trials_ended"].filter(paying=True).count()
    paying_at_start = lists["paying_at_start"].count()
    redemptions = metrics.redemptions(start=period.start, end=period.end)
    revenue = metrics.monthly_recurring_revenue()
    return render(request, "admin_dashboard/subscriptions.html", {
        "period": period, "range_form": range_form, "active_tab": "subscriptions",
        "query": period.query(), "shown_limit": SHOWN,
        "revenue": revenue,
        "mrr_label": " + ".join(format_money(r.cents, r.currency) for r in revenue)
        or format_money(0),
        "mrr_subscriptions": sum(r.subscriptions for r in revenue),
        "by_plan": metrics.subscribers_by_plan(),
        "live_count": metrics.live_subscriptions().count(),
        "trials_ended": trials_ended, "converted": converted,
        "conversion": metrics.percent(converted, trials_ended),
        "paying_at_start": paying_at_start,
        "churn": metrics.percent(shown["churned"]["count"], paying_at_start),
        "redemptions": redemptions[:SHOWN], "redemption_count": len(redemptions),
        "allowance": metrics.allowance_tokens(start=period.start, end=period.end),
        "lists": shown,
    })
