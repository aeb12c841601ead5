"""Spending limits checked inside the hold transaction.

A limit caps what one spender (or, with `spender=None`, the whole account) takes from an
account since a moment: the tokens spent since then plus the tokens pending in holds. A
released or expired hold therefore gives its tokens back, and parallel reservations cannot
overshoot, because `reserve_tokens` counts under the account's row lock. The owner of the
limit (a team, later an API key) decides the figures; `tokens` only counts.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Sum

from tokens.models import EntryKind, Hold, HoldStatus, LedgerEntry, TokenAccount


@dataclass(frozen=True)
class SpendLimit:
    name: str  # what the refusal names ("Your daily limit")
    tokens: int
    since: datetime  # the start of the period the limit covers
    resets_at: datetime
    spender: str | None = None  # None: everything spent from the account


def used_since(*, account_id: int, spender: str | None, since: datetime) -> int:
    """Tokens `spender` (None: anyone) spent from the account since `since`, plus the tokens
    pending in its holds (whenever they were made: they are spent when captured)."""
    entries = LedgerEntry.objects.filter(account_id=account_id, kind=EntryKind.SPEND,
                                         created_at__gte=since)
    if spender is None:
        held = TokenAccount.objects.filter(pk=account_id).values_list("held", flat=True)[0]
    else:
        entries = entries.filter(spender=spender)
        held = Hold.objects.filter(account_id=account_id, spender=spender,
                                   status=HoldStatus.PENDING).aggregate(t=Sum("amount"))["t"]
    spent = entries.aggregate(t=Sum("amount"))["t"] or 0
    return -spent + (held or 0)
