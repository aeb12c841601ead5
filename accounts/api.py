"""The public API's account endpoints: `/api/v1/balance` and `/api/v1/usage` (the usage
page's data), read by the same ledger selectors as the pages."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from ninja import Query, Router, Schema

from accounts.apikeys.auth import KeyAuth
from config.api_errors import ERRORS
from tokens.models import TokenAccount
from tokens.selectors import usage as ledger

router = Router(tags=["tokens"])


class SourceOut(Schema):
    kind: str
    label: str
    remaining: int
    expires_at: datetime | None
    expiring: int


class BalanceOut(Schema):
    available: int
    held: int
    balance: int
    lots: list[SourceOut]


class DayOut(Schema):
    day: date
    spent: int


class ForecastOut(Schema):
    status: str
    per_day: float
    days_low: float
    days_high: float


class UsageOut(Schema):
    balance: BalanceOut
    start: date
    end: date
    spent: int
    by_day: list[DayOut]
    by_feature: dict[str, int]
    forecast: ForecastOut


def _account(request) -> TokenAccount:
    auth: KeyAuth = request.auth
    auth.require("usage:read")
    return TokenAccount.objects.get(pk=auth.account_id)


def _balance(composition) -> dict:
    return {"available": composition.available, "held": composition.held,
            "balance": composition.balance,
            "lots": [vars(source) for source in composition.sources]}


@router.get("/balance", response={200: BalanceOut, **ERRORS}, url_name="balance",
            summary="Token balance")
def balance(request):
    """Tokens available now (balance minus held), held for tickets in progress, and the
    remaining tokens by where they came from, each with its soonest expiry."""
    return _balance(ledger.get_composition(_account(request)))


@router.get("/usage", response={200: UsageOut, **ERRORS}, url_name="usage",
            summary="Token usage")
def usage(request, days: int = Query(30, ge=1, le=366)):
    """What the usage page shows: spending per day over the last `days` days (zero-filled),
    per feature, and how long the available tokens last at the recent pace."""
    account = _account(request)
    labels = ledger.feature_labels()
    composition = ledger.get_composition(account, labels=labels)
    end = timezone.localdate()
    start = end - timedelta(days=days - 1)
    rollup = ledger.get_rollup(account, bucket="day", start=start, end=end)
    series = rollup.spend_series()
    forecast = ledger.forecast_runway(
        account, available=composition.available,
        daily=series if days == ledger.FORECAST_WINDOW_DAYS else None)
    return {"balance": _balance(composition), "start": start, "end": end,
            "spent": sum(spent for _, spent in series),
            "by_day": [{"day": day, "spent": spent} for day, spent in series],
            "by_feature": {key or "other": spent
                           for key, _, spent in rollup.by_feature(labels)},
            "forecast": {"status": forecast.status, "per_day": forecast.per_day,
                         "days_low": forecast.days_low, "days_high": forecast.days_high}}
