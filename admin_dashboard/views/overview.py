from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as accounts_selectors
from admin_dashboard import snapshots
from admin_dashboard.access import staff_only
from admin_dashboard.exports import csv_response, wants_csv
from admin_dashboard.periods import period_from_request
from billing import selectors as billing_selectors
from tickets import selectors as tickets_selectors


@staff_only
@require_GET
def overview(request):
    period, range_form = period_from_request(request)
    snapshot = snapshots.get_overview(period)
    data = snapshot.data
    if wants_csv(request):
        rows = [(f.label, f.current, f.previous, f.change) for f in data["figures"]]
        rows += [(_("Tokens: %(kind)s") % {"kind": f.label}, f.current, f.previous, f.change)
                 for f in data["token_rows"]]
        return csv_response(
            f"overview-{period.first_day}-{period.last_day}",
            ["figure", "current", "previous", "change_percent"],
            rows,
        )
    return render(request, "admin_dashboard/overview.html", {
        "period": period, "range_form": range_form, "active_tab": "overview",
        "computed_at": snapshot.computed_at, **data,
    })


@staff_only
@require_POST
def refresh_overview(request):
    """Recompute the overview of the posted range now, then show it (post/redirect/get)."""
    period, _ = period_from_request(request)
    snapshots.get_overview(period, refresh=True)
    return redirect(f"{reverse('admin_dashboard:overview')}?{period.query()}")


# Nested: each step counts only visitors who reached the step before it.
FUNNEL_STEPS = [
    ("visitors", gettext_lazy("New visitors")),
    ("generated_count", gettext_lazy("Generated a ticket")),
    ("signed_up", gettext_lazy("Then signed up")),
    ("purchased", gettext_lazy("Then bought tokens")),
    ("repeat", gettext_lazy("Then bought again")),
]


@staff_only
@require_GET
def funnel(request):
    period, range_form = period_from_request(request)
    counts = accounts_selectors.count_visitor_funnel(
        start=period.start,
        end=period.end,
        generated=tickets_selectors.visitor_has_ticket(),
        purchases=billing_selectors.count_completed_purchases(user_ref="merged_into_id"),
    )
    first = counts["visitors"]
    steps, previous = [], None
    for key, label in FUNNEL_STEPS:
        value = counts[key]
        steps.append({
            "label": label,
            "count": value,
            "of_first": round(100 * value / first, 1) if first else None,
            "of_previous": round(100 * value / previous, 1) if previous else None,
        })
        previous = value
    signups, _ = accounts_selectors.count_signups(
        start=period.start, end=period.end, prev_start=period.prev_start
    )
    if wants_csv(request):
        return csv_response(
            f"funnel-{period.first_day}-{period.last_day}",
            ["step", "count", "percent_of_visitors", "percent_of_previous_step"],
            [(s["label"], s["count"], s["of_first"], s["of_previous"]) for s in steps],
        )
    return render(request, "admin_dashboard/funnel.html", {
        "period": period, "range_form": range_form, "steps": steps, "signups": signups,
        "active_tab": "funnel",
    })
