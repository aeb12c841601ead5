"""Who pays for a costed action, within which limits, and the alerts when limits fill up.

A team member's generation pays from the team's pool with their daily and monthly limits and
the team's monthly budget, all checked by `tokens.reserve_tokens` under the pool's row lock
(`tokens.limits`). Periods are UTC calendar days and months.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.selectors import get_visitor_for_request
from accounts.services import get_paying_account
from accounts.teams.models import Membership, Organization, TeamLimitAlert
from accounts.teams.roles import can_generate
from accounts.teams.selectors import get_workspace
from tokens.limits import SpendLimit, used_by_limits
from tokens.models import TokenAccount

ALERT_PERCENTS = (80, 100)


@dataclass(frozen=True)
class Payer:
    """The account a costed action reserves from, who spends, and the limits on it."""

    account: TokenAccount
    spender: str
    organization: Organization | None = None
    limits: tuple[SpendLimit, ...] = ()


def get_payer(request: HttpRequest) -> Payer:
    """Who pays for a costed action in this request's current workspace: the team's pool
    with the member's limits, or the person's (or visitor's) own account.

    Writes what `get_paying_account` writes for a personal or visitor payer. Raises
    PermissionDenied when the user's role cannot spend the team's pool (a viewer).
    """
    return _payer(request, get_workspace(request).membership)


def get_payer_for(request: HttpRequest, organization: Organization | None) -> Payer:
    """Who pays for a costed action on something that belongs to `organization` (None: the
    person's own), whatever the current workspace. Raises PermissionDenied as `get_payer`,
    and when the user is not in `organization`."""
    if organization is None:
        return _payer(request, None)
    membership = (Membership.objects.select_related("organization__token_account")
                  .filter(user_id=request.user.pk, organization=organization).first())
    if membership is None:
        raise PermissionDenied(_("You are not in this team."))
    return _payer(request, membership)


def _payer(request: HttpRequest, membership: Membership | None) -> Payer:
    user = request.user
    if membership is not None:
        if not can_generate(membership.role):
            raise PermissionDenied(
                _("Viewers can read %(team)s's tickets but not spend its tokens. Ask an admin "
                  "for the member role.") % {"team": membership.organization.name})
        team = membership.organization
        return Payer(account=team.token_account, spender=f"user:{user.pk}", organization=team,
                     limits=member_limits(membership, now=timezone.now()))
    account = get_paying_account(request=request)
    if user.is_authenticated:
        return Payer(account=account, spender=f"user:{user.pk}")
    return Payer(account=account, spender=f"visitor:{get_visitor_for_request(request).pk}")


def limits_for_spender(*, spender: str, organization: Organization | None,
                       now: datetime) -> tuple[SpendLimit, ...]:
    """The limits on `spender` (`user:<id>`, `apikey:<id>`) spending from `organization`'s
    pool (None: a personal account) at `now` — for work that starts after its request, a
    batch's rows. Raises PermissionDenied when a user spender can no longer spend the pool."""
    kind, _sep, ident = spender.partition(":")
    if kind == "apikey":
        from accounts.apikeys.limits import key_limits

        return key_limits(key_id=int(ident), now=now)
    if organization is None:
        return ()
    membership = (Membership.objects.select_related("organization")
                  .filter(organization=organization, user_id=int(ident)).first())
    if membership is None or not can_generate(membership.role):
        raise PermissionDenied(_("You can no longer spend %(team)s's tokens.")
                               % {"team": organization.name})
    return member_limits(membership, now=now)


def period_bounds(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    return {"day": (day, day + timedelta(days=1)), "month": (month, next_month)}


def member_limits(membership: Membership, *, now: datetime) -> tuple[SpendLimit, ...]:
    """The limits on `membership`'s spending from its team's pool at `now`."""
    periods = period_bounds(now)
    spender = f"user:{membership.user_id}"
    limits = []
    if membership.daily_limit is not None:
        start, end = periods["day"]
        limits.append(SpendLimit(name=gettext_noop("Your daily limit"),
                                 tokens=membership.daily_limit, since=start, resets_at=end,
                                 spender=spender))
    if membership.monthly_limit is not None:
        start, end = periods["month"]
        limits.append(SpendLimit(name=gettext_noop("Your monthly limit"),
                                 tokens=membership.monthly_limit, since=start, resets_at=end,
                                 spender=spender))
    budget = membership.organization.monthly_budget
    if budget is not None:
        start, end = periods["month"]
        limits.append(SpendLimit(name=gettext_noop("The team's monthly budget"), tokens=budget,
                                 since=start, resets_at=end))
    return tuple(limits)


def describe_limit_reached(limit: SpendLimit, *, used: int, needed: int) -> str:
    """The message a member at a limit reads, in the active language: which limit, how much
    is left, when it resets (UTC)."""
    return ngettext(
        "%(limit)s of %(count)s token is reached: %(left)s left, this needs %(needed)s. It "
        "resets on %(resets)s UTC.",
        "%(limit)s of %(count)s tokens is reached: %(left)s left, this needs %(needed)s. It "
        "resets on %(resets)s UTC.", limit.tokens) % {
        "limit": _(limit.name), "count": limit.tokens, "left": max(limit.tokens - used, 0),
        "needed": needed, "resets": format_date(limit.resets_at, "j M Y, H:i")}


def raise_limit_alerts(*, organization_id: int, user_id: int,
                       now: datetime | None = None) -> list[TeamLimitAlert]:
    """Record each limit of the member `user_id` (and the team's budget) that their spending
    has now filled to 80% or 100%, once per limit, period and level.

    Writes: one TeamLimitAlert per new crossing (its unique key decides between concurrent
    callers: exactly one writes it); on commit, emails each new one to the team's admins.
    Returns the alerts this call wrote.
    """
    from accounts.teams.tasks import send_team_alert_task

    membership = (Membership.objects.select_related("organization", "user")
                  .filter(organization_id=organization_id, user_id=user_id).first())
    if membership is None:
        return []
    team = membership.organization
    written = []
    limits = member_limits(membership, now=now or timezone.now())
    for limit, used in zip(limits, used_by_limits(account_id=team.token_account_id,
                                                  limits=limits), strict=True):
        if limit.tokens == 0:
            continue
        what = (f"{team.name}'s monthly budget" if limit.spender is None
                else f"{membership.user.email}'s {limit.name.removeprefix('Your ')}")
        subject = "team" if limit.spender is None else f"user:{user_id}"
        for percent in ALERT_PERCENTS:
            if used * 100 < limit.tokens * percent:
                continue
            key = (f"team:{team.pk}:{subject}:{limit.name}:{limit.since:%Y-%m-%d}:{percent}")
            message = f"{what} is {percent}% used: {used} of {limit.tokens} tokens."
            try:
                with transaction.atomic():
                    alert = TeamLimitAlert.objects.create(organization=team, key=key,
                                                          message=message)
            except IntegrityError:
                continue
            written.append(alert)
            transaction.on_commit(lambda pk=alert.pk: send_team_alert_task.delay(pk))
    return written
