"""Spending limits checked inside the hold transaction.

A limit caps what one spender (or, with `spender=None`, the whole account) takes from an
account since a moment: the tokens spent since then plus the tokens pending in holds. A
released or expired hold therefore gives its tokens back, and parallel reservations cannot
overshoot, because `reserve_tokens` counts under the account's row lock. The owner of the
limit (a team, later an API key) decides the figures; `tokens` only counts.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, Sum

from tokens.models import Hold, HoldStatus, SpendTally, TokenAccount


@dataclass(frozen=True)
class SpendLimit:
    name: str  # what the refusal names ("Your daily limit")
    tokens: int
    since: datetime  # the start of the period the limit covers: a UTC midnight
    resets_at: datetime
    spender: str | None = None  # None: everything spent from the account


def used_by_limits(*, account_id: int, limits: Sequence[SpendLimit],
                   held: int | None = None) -> list[int]:
    """The tokens counted against each of `limits` on the account: spent from the UTC day of
    the limit's `since` on (periods are whole UTC days), plus pending in holds (the
    spender's; for an account-wide limit the account's `held`, read here unless given).

    Two small queries however long the history: the spenders' daily tallies (`SpendTally`,
    at most a row per spender and day) and their pending holds.
    """
    if not limits:
        return []
    spenders = {limit.spender for limit in limits}
    named = spenders - {None}
    days = [limit.since.astimezone(UTC).date() for limit in limits]
    tallies = SpendTally.objects.filter(account_id=account_id, day__gte=min(days))
    if None not in spenders:
        tallies = tallies.filter(spender__in=named)
    spent = tallies.aggregate(**{
        f"limit{i}": Sum("tokens", filter=Q(day__gte=day)
                         & (Q() if limit.spender is None else Q(spender=limit.spender)))
        for i, (limit, day) in enumerate(zip(limits, days, strict=True))})
    pending = dict(Hold.objects.filter(account_id=account_id, status=HoldStatus.PENDING,
                                       spender__in=named)
                   .values_list("spender").annotate(total=Sum("amount"))) if named else {}
    if None in spenders and held is None:
        held = TokenAccount.objects.filter(pk=account_id).values_list("held", flat=True)[0]
    return [(spent[f"limit{i}"] or 0)
            + (held if limit.spender is None else pending.get(limit.spender, 0))
            for i, limit in enumerate(limits)]
