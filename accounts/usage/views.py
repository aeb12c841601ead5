"""The usage page and its exports. Thin: forms validate, `tokens.selectors.usage` reads,
`tokens.services` writes (the alert level), templates render."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.usage import exports
from accounts.usage.forms import (
    BUCKET_LABELS,
    HistoryFilterForm,
    PeriodForm,
    StatementForm,
    ThresholdForm,
)
from config.charts import bar_chart, grouped_bar_chart
from tokens.exceptions import InvalidAmount
from tokens.selectors import usage as ledger
from tokens.services import set_low_balance_threshold

# How far back each spending chart looks.
PERIODS = {"day": ("day", 30), "week": ("week", 12), "month": ("month", 12)}
_LABEL_FORMATS = {"day": "j M", "week": "j M", "month": "M Y"}
USAGE_CHART_WIDTH = 440


def chart_range(bucket: str, today: date) -> tuple[date, date]:
    unit, count = PERIODS[bucket]
    if unit == "day":
        return today - timedelta(days=count - 1), today
    if unit == "week":
        return ledger.bucket_start(today, "week") - timedelta(weeks=count - 1), today
    start = today.replace(day=1)
    for _month in range(count - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, today


def usage_charts(rollup: ledger.Rollup, *, labels: dict[str, str]) -> dict:
    """The usage charts of one account for a period (used by the user's page and the staff
    user page: one place builds them), from its rollup."""
    bucket = rollup.bucket
    fmt = _LABEL_FORMATS[bucket]
    spent = rollup.spend_series()
    by_feature = rollup.by_feature(labels)
    credits = rollup.credits_by_month()
    groups = list(dict.fromkeys(ledger.CREDIT_GROUPS.values()))
    # Narrower than the dashboard's: two charts side by side, and readable on a phone.
    tokens = {"series": [{"name": _("Tokens"), "color": "#3b82f6"}],
              "width": USAGE_CHART_WIDTH}
    titles = {"day": _("Tokens spent per day"), "week": _("Tokens spent per week"),
              "month": _("Tokens spent per month")}
    return {
        "start": rollup.start, "end": rollup.end,
        "spent": bar_chart(titles[bucket],
                           [(date_format(day, fmt), value) for day, value in spent],
                           label_heading=str(BUCKET_LABELS[bucket]), **tokens),
        "by_feature": bar_chart(_("Spent by feature"),
                                [(label, v) for _key, label, v in by_feature],
                                label_heading=_("Feature"), **tokens),
        "by_tier": bar_chart(_("Spent by model tier"), ledger.spend_by_tier(by_feature),
                             label_heading=_("Tier"), **tokens),
        "credits": grouped_bar_chart(
            _("Tokens received per month"), [date_format(day, "M Y") for day, _row in credits],
            {_(group): [row[group] for _day, row in credits] for group in groups},
            label_heading=_("Month"), width=USAGE_CHART_WIDTH),
        "total_spent": sum(value for _day, value in spent),
    }


def _download(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _account(request):
    return request.user.token_account


def _history_form(request, labels: dict[str, str]) -> HistoryFilterForm:
    return HistoryFilterForm(request.GET or None, features=sorted(labels.items(),
                                                                  key=lambda kv: kv[1]))


def usage_context(request, account, *, history_url: str) -> dict | HttpResponse:
    """What the usage partials need for `account` (the user's own page and the staff user
    page), or, for htmx's "Load more", the next history rows as a response."""
    labels = ledger.feature_labels()
    form = _history_form(request, labels)
    valid = form.is_valid() if form.is_bound else True
    filters = form.history_filter() if form.is_bound and valid else ledger.HistoryFilter()
    cursor = form.cleaned_data.get("cursor", "") if form.is_bound and valid else ""
    page = (ledger.list_movements(account, filters=filters, cursor=cursor, labels=labels)
            if account else ledger.HistoryPage(movements=[], next_cursor=""))
    query = form.query_string() if form.is_bound and valid else ""
    context = {"form": form, "page": page, "query": query, "filtered": bool(query),
               "history_url": history_url}
    if request.htmx and cursor:
        return render(request, "accounts/usage/partials/history_rows.html", context)
    period = PeriodForm(request.GET or None)
    bucket = (period.cleaned_data.get("bucket") if period.is_valid() else "") or "day"
    if account is None:
        return context | {"period": period, "bucket": bucket, "composition": None}
    composition = ledger.get_composition(account, labels=labels)
    start, end = chart_range(bucket, timezone.localdate())
    rollup = ledger.get_rollup(account, bucket=bucket, start=start, end=end)
    return context | {
        "period": period,
        "bucket": bucket,
        "composition": composition,
        # The day chart's 30 days are the forecast's window: no second read.
        "forecast": ledger.forecast_runway(
            account, available=composition.available,
            daily=rollup.spend_series() if bucket == "day" else None),
        "charts": usage_charts(rollup, labels=labels),
    }


@login_required
@require_GET
def usage(request):
    account = _account(request)
    context = usage_context(request, account, history_url=reverse("accounts:usage"))
    if isinstance(context, HttpResponse):
        return context
    context |= {
        "csv_url": reverse("accounts:usage_csv"),
        "threshold_form": ThresholdForm(initial={
            "threshold": account.low_balance_threshold if account else 0}),
        "months": ledger.statement_months(account) if account else [],
        "low": account is not None and account.is_low,
    }
    return render(request, "accounts/usage/usage.html", context)


@login_required
@require_POST
def update_threshold(request):
    form = ThresholdForm(request.POST)
    account = _account(request)
    if account is not None and form.is_valid():
        try:
            set_low_balance_threshold(account=account,
                                      threshold=form.cleaned_data["threshold"])
        except InvalidAmount as error:
            messages.error(request, str(error))
        else:
            level = form.cleaned_data["threshold"]
            messages.success(request, ngettext(
                "We will tell you when you have fewer than %(level)s token available.",
                "We will tell you when you have fewer than %(level)s tokens available.",
                level) % {"level": level} if level else _("Low-balance alerts are off."))
    else:
        messages.error(request, " ".join(form.errors.get("threshold",
                                                         [_("No token account.")])))
    return redirect("accounts:usage")


@login_required
@require_GET
def usage_csv(request):
    account = _account(request)
    labels = ledger.feature_labels()
    form = _history_form(request, labels)
    if form.is_bound and not form.is_valid():
        return HttpResponse(_("These filters are not valid: %(errors)s") % {"errors": "; ".join(
            f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())},
            status=400, content_type="text/plain; charset=utf-8")
    filters = form.history_filter() if form.is_bound else ledger.HistoryFilter()
    movements = ledger.iter_movements(account, filters=filters, labels=labels) if account \
        else iter(())
    site = request.build_absolute_uri("/").rstrip("/")
    return _download(StreamingHttpResponse(exports.csv_rows(movements, site=site),
                                           content_type="text/csv; charset=utf-8"),
                     f"myba-usage-{timezone.localdate():%Y-%m-%d}.csv")


@login_required
@require_GET
def usage_statement(request):
    form = StatementForm(request.GET)
    account = _account(request)
    if account is None or not form.is_valid():
        messages.error(request, " ".join(form.errors.get("month", [_("Pick a month.")])))
        return redirect("accounts:usage")
    month = form.cleaned_data["month"]
    statement = ledger.get_statement(account, month=month)
    if not statement.reconciles:
        # The ledger audit would flag the account too: never hand out figures that disagree.
        messages.error(request, _("This statement could not be reconciled with the ledger; "
                                  "our team has been told. Try again later."))
        return redirect("accounts:usage")
    return _download(HttpResponse(exports.statement_pdf(statement, owner=request.user.email),
                                  content_type="application/pdf"),
                     f"myba-statement-{month:%Y-%m}.pdf")


@login_required
@require_GET
def data_export(request):
    user = request.user
    account = _account(request)
    movements = list(ledger.iter_movements(account)) if account else []
    sections = {
        "profile": {"email": user.email, "joined": user.date_joined,
                    "last_login": user.last_login, "time_zone": user.time_zone},
        "settings": {"low_balance_threshold": account.low_balance_threshold if account
                     else None},
        "ledger": [{"created_at": m.created_at, "kind": m.kind, "amount": m.amount,
                    "balance_after": m.balance_after, "feature": m.feature_key,
                    "description": m.title, "paid_from": dict(m.paid_from)}
                   for m in movements],
    }
    return _download(HttpResponse(exports.user_data_json(user, sections=sections),
                                  content_type="application/json; charset=utf-8"),
                     f"myba-data-{timezone.localdate():%Y-%m-%d}.json")
