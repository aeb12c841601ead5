"""An API key's token budgets, checked in the hold transaction like a member's limits."""

from datetime import datetime

from accounts.apikeys.models import ApiKey
from accounts.teams.limits import period_bounds
from tokens.limits import SpendLimit


def key_limits(*, key_id: int, now: datetime) -> tuple[SpendLimit, ...]:
    """The limits on spending by key `key_id` at `now`: its daily and monthly budgets (its
    own spends, `apikey:<id>`) and, for a team key, the team's monthly budget."""
    key = ApiKey.objects.select_related("organization").get(pk=key_id)
    periods = period_bounds(now)
    limits = []
    if key.daily_budget is not None:
        start, end = periods["day"]
        limits.append(SpendLimit(name="This API key's daily budget", tokens=key.daily_budget,
                                 since=start, resets_at=end, spender=key.spender))
    if key.monthly_budget is not None:
        start, end = periods["month"]
        limits.append(SpendLimit(name="This API key's monthly budget",
                                 tokens=key.monthly_budget, since=start, resets_at=end,
                                 spender=key.spender))
    if key.organization is not None and key.organization.monthly_budget is not None:
        start, end = periods["month"]
        limits.append(SpendLimit(name="The team's monthly budget",
                                 tokens=key.organization.monthly_budget, since=start,
                                 resets_at=end))
    return tuple(limits)
