"""Reads for accounts: visitors, what the header shows, staff checks.

Whose tokens a costed action spends is decided in one place,
`accounts.services.get_paying_account` (it may create the visitor and decide its free grant);
the reads here never write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, F, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import (
    AnonymousVisitor,
    ClosedAccountEmail,
    StaffAction,
    User,
    VisitorGrantQuota,
)
from accounts.network import get_client_ip, hash_network
from accounts.teams.selectors import get_workspace
from config.shared_tables import SharedRows, get_with_versions
from tokens.models import DEFAULT_LOW_BALANCE_THRESHOLD
from tokens.selectors import active_prices

VISITOR_COOKIE_SALT = "accounts.visitor"
VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600
# Request attributes: the visitor resolved for this request (cached), and one created during
# it whose cookie the middleware must set on the response.
_VISITOR_ATTR = "_accounts_visitor"
NEW_VISITOR_ATTR = "_accounts_new_visitor"
# A browser given a visitor id before it is a visitor (the middleware sets the cookie).
NEW_VISITOR_ID_ATTR = "_accounts_new_visitor_id"


def visitor_cookie_name() -> str:
    return getattr(settings, "VISITOR_COOKIE_NAME", "myba_visitor")


def visitor_free_tokens() -> int:
    return getattr(settings, "VISITOR_FREE_TOKENS", 3)


def visitor_grants_per_network_per_day() -> int:
    return getattr(settings, "VISITOR_GRANTS_PER_NETWORK_PER_DAY", 3)


def welcome_tokens() -> int:
    return getattr(settings, "WELCOME_TOKENS", 6)


# A visitor with fewer free tokens than this is invited to sign up (visitors get no alerts;
# an account's own threshold is TokenAccount.low_balance_threshold).
VISITOR_LOW_TOKENS = 2


def visitor_id_from_cookie(request: HttpRequest) -> uuid.UUID | None:
    """The public id in a validly signed visitor cookie; a forged or tampered one is None."""
    raw = request.get_signed_cookie(
        visitor_cookie_name(),
        default=None,
        salt=VISITOR_COOKIE_SALT,
        max_age=VISITOR_COOKIE_MAX_AGE,
    )
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def get_cookie_visitor(request: HttpRequest) -> AnonymousVisitor | None:
    """The visitor this browser's validly signed cookie names (or one created during this
    request), merged or not; None when there is none."""
    new_visitor = getattr(request, NEW_VISITOR_ATTR, None)
    if new_visitor is not None:
        return new_visitor
    if not hasattr(request, _VISITOR_ATTR):
        public_id = visitor_id_from_cookie(request)
        visitor = None
        if public_id is not None:
            visitor = (
                AnonymousVisitor.objects.select_related("token_account")
                .filter(public_id=public_id)
                .first()
            )
        setattr(request, _VISITOR_ATTR, visitor)
    return getattr(request, _VISITOR_ATTR)


def get_visitor_for_request(request: HttpRequest) -> AnonymousVisitor | None:
    """The visitor whose free tokens this browser holds: the cookie's visitor unless it was
    already merged into an account. Whether or not someone is signed in."""
    visitor = get_cookie_visitor(request)
    if visitor is None or visitor.merged_at is not None:
        return None
    return visitor


def network_grants_cache_key(ip_hash: str, day) -> str:
    return f"accounts:network-grants:{ip_hash}:{day.isoformat()}"


def count_network_grants_today(ip_hash: str) -> int:
    """Free visitor grants this network had today. Every visitor's header asks, so the count
    is kept in the shared cache: `accounts.services` sets it when a grant commits, and `add`
    here never overwrites that with a count read before it."""
    day = timezone.now().date()
    key = network_grants_cache_key(ip_hash, day)
    grants = get_with_versions(key)
    if grants is None:
        quota = VisitorGrantQuota.objects.filter(ip_hash=ip_hash, day=day).first()
        grants = quota.grants if quota else 0
        cache.add(key, grants, NETWORK_GRANTS_CACHE_SECONDS)
    return grants


NETWORK_GRANTS_CACHE_SECONDS = 600


def network_trial_used_up(request: HttpRequest) -> bool:
    """True when this network has had all its free visitor grants for today."""
    ip_hash = hash_network(get_client_ip(request))
    return count_network_grants_today(ip_hash) >= visitor_grants_per_network_per_day()


class Standing(StrEnum):
    """Where this browser stands with tokens: what the header says and what the generator
    offers when the balance cannot pay for a ticket."""

    ACCOUNT = "account"  # signed in: the account's tokens; more are bought
    TRIAL = "trial"  # a visitor with free tokens left, or about to get them
    TRIAL_SPENT = "trial_spent"  # a visitor who had free tokens and has spent them all
    NETWORK_CAPPED = "network_capped"  # no free tokens: this network had today's free tries
    # No free tokens for another reason: refused on an earlier day, or this browser's trial
    # went to an account that no longer exists.
    NO_TRIAL = "no_trial"
    CONFIRM_EMAIL = "confirm_email"  # signed up in this browser, email not confirmed yet
    SIGNED_OUT = "signed_out"  # this browser's trial went to an account: sign in to use it


@dataclass(frozen=True)
class HeaderBalance:
    """What the header's balance badge shows."""

    # Tokens this request can spend now (a fresh visitor: the free tokens they would get).
    balance: int
    standing: Standing
    # CONFIRM_EMAIL: the new account's tokens, there to use once the email is confirmed.
    waiting: int = 0
    # Below this the balance is low: the account's own threshold, or the visitors' nudge.
    threshold: int = VISITOR_LOW_TOKENS
    # The team whose pool `balance` is, when the user works in a team's workspace.
    team: str = ""
    team_slug: str = ""

    @property
    def is_visitor(self) -> bool:
        return self.standing != Standing.ACCOUNT

    @property
    def low(self) -> bool:
        return self.balance < self.threshold

    @property
    def shows_count(self) -> bool:
        """False when the browser's tokens are in an account it is not signed in to: a count
        of 0 would only mislead."""
        return self.standing not in (Standing.CONFIRM_EMAIL, Standing.SIGNED_OUT)

    @property
    def invites_sign_up(self) -> bool:
        """A visitor low on free tokens, or without any: signing up is how to get more."""
        no_free_tokens = (Standing.TRIAL_SPENT, Standing.NETWORK_CAPPED, Standing.NO_TRIAL)
        return self.standing in no_free_tokens or (self.standing == Standing.TRIAL and self.low)

    @property
    def invites_purchase(self) -> bool:
        return self.standing == Standing.ACCOUNT and self.low


def get_header_balance(request: HttpRequest) -> HeaderBalance:
    """The balance the header shows and where this browser stands, without writing anything:
    a fresh visitor sees the free tokens they would get; a network past its daily cap, 0.
    Read once per request: the header, the generator and the home page all ask."""
    if not hasattr(request, _HEADER_BALANCE_ATTR):
        setattr(request, _HEADER_BALANCE_ATTR, _read_header_balance(request))
    return getattr(request, _HEADER_BALANCE_ATTR)


_HEADER_BALANCE_ATTR = "_myba_header_balance"


def _read_header_balance(request: HttpRequest) -> HeaderBalance:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        team = get_workspace(request).organization
        if team is not None:
            return HeaderBalance(balance=team.token_account.available,
                                 standing=Standing.ACCOUNT, team=team.name,
                                 team_slug=team.slug,
                                 threshold=team.token_account.low_balance_threshold)
        account = user.token_account
        if account is None:
            return HeaderBalance(balance=0, standing=Standing.ACCOUNT,
                                 threshold=DEFAULT_LOW_BALANCE_THRESHOLD)
        return HeaderBalance(balance=account.available, standing=Standing.ACCOUNT,
                             threshold=account.low_balance_threshold)
    visitor = get_cookie_visitor(request)
    if visitor is not None and visitor.merged_at is not None:
        return _after_sign_up(visitor)
    available = visitor.token_account.available if visitor and visitor.token_account_id else 0
    if available > 0:
        return HeaderBalance(balance=available, standing=Standing.TRIAL)
    if visitor is not None and visitor.granted_at is not None:
        return HeaderBalance(balance=0, standing=Standing.TRIAL_SPENT)
    if network_trial_used_up(request):
        return HeaderBalance(balance=0, standing=Standing.NETWORK_CAPPED)
    if visitor is not None and visitor.grant_denied_at is not None:
        return HeaderBalance(balance=0, standing=Standing.NO_TRIAL)
    return HeaderBalance(balance=visitor_free_tokens(), standing=Standing.TRIAL)


def _after_sign_up(visitor: AnonymousVisitor) -> HeaderBalance:
    """A signed-out browser whose free trial went to an account (at sign-up or sign-in): its
    tokens are that account's now. Signing up leaves the browser signed out until the email is
    confirmed, so "sign up for free tokens" would be wrong there."""
    from allauth.account.models import EmailAddress

    owner = (
        User.objects.filter(pk=visitor.merged_into_id, is_active=True)
        .select_related("token_account")
        .annotate(confirmed=Exists(
            EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
        ))
        .first()
    )
    if owner is None:
        return HeaderBalance(balance=0, standing=Standing.NO_TRIAL)
    if owner.confirmed:
        return HeaderBalance(balance=0, standing=Standing.SIGNED_OUT)
    waiting = owner.token_account.available if owner.token_account else 0
    return HeaderBalance(balance=0, standing=Standing.CONFIRM_EMAIL, waiting=waiting)


def get_display_balance(request: HttpRequest) -> int:
    """The number of tokens the header shows for this request."""
    return get_header_balance(request).balance


@dataclass(frozen=True)
class FreeTokens:
    """What trying MyBA gives for free."""

    visitor: int  # a visitor's free tokens, no account needed
    welcome: int  # a new account's tokens

    @property
    def total(self) -> int:
        return self.visitor + self.welcome


def get_free_tokens() -> FreeTokens:
    return FreeTokens(visitor=visitor_free_tokens(), welcome=welcome_tokens())


@dataclass(frozen=True)
class Welcome:
    """What the first-time welcome tells a new user about tokens."""

    balance: int  # tokens the user can spend now
    welcome_tokens: int  # what a new account is given
    prices: list[tuple[str, int]]  # (what, tokens) from the price table, cheapest first


def needs_welcome(user: User | None) -> bool:
    """True for a signed-in user who has not put the first-time welcome away."""
    return bool(user and user.is_authenticated and user.welcomed_at is None)


def get_welcome(user: User) -> Welcome:
    """The welcome's figures: the user's balance and the active prices."""
    account = user.token_account
    # What a ticket costs: the generation prices `ticket.<quality>` ("Improve" is priced on
    # the ticket itself, an epic and its stories on the generator's confirmation).
    prices = [(price.label, price.tokens) for key, price in active_prices().items()
              if key.startswith("ticket.") and key.count(".") == 1]
    return Welcome(
        balance=account.available if account else 0,
        welcome_tokens=welcome_tokens(),
        prices=sorted(prices, key=lambda item: (item[1], item[0])),
    )


def user_has_mfa(user: User) -> bool:
    """True when the user has an authenticator app or passkey (recovery codes alone don't
    count: allauth treats them as a backup of another factor). Asked on every staff page, so
    kept in each process until an authenticator changes."""
    return bool(user and user.is_authenticated and SECOND_FACTORS.get(user.pk))


def _read_has_second_factor(user_id: int) -> bool:
    # allauth's `is_mfa_enabled` asks the same, given a whole user.
    from allauth.mfa.models import Authenticator

    factors = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    return Authenticator.objects.filter(user_id=user_id, type__in=factors).exists()


# Renewed when an authenticator changes (accounts/apps.py).
SECOND_FACTORS = SharedRows("second-factors", _read_has_second_factor)


def email_belonged_to_closed_account(email: str) -> bool:
    """True when an account with this address was deleted by its owner: the address may sign
    up again, but that account has had its welcome bonus."""
    return ClosedAccountEmail.objects.filter(email_hash=ClosedAccountEmail.hash(email)).exists()


def staff_can_open_dashboard(user: User) -> bool:
    """The one rule for staff pages, the dashboard and the Django admin alike: an active staff
    member (superusers included) with MFA enabled, unless `DASHBOARD_REQUIRE_MFA` is off."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return not settings.DASHBOARD_REQUIRE_MFA or user_has_mfa(user)


# --- Staff dashboard -----------------------------------------------------------------------

USER_SORTS = {
    "newest": ("-date_joined", "-id"),
    "balance": ("-balance", "-id"),
    "spend": ("-spend", "-id"),
    "activity": (F("last_activity").desc(nulls_last=True), "-id"),
}


def list_users_for_staff(*, search: str = "", sort: str = "newest"):
    """Users with balance, held, tokens spent and last ledger activity, annotated in the DB.

    `sort`: one of USER_SORTS. Spend and last activity are correlated subqueries on the
    ledger's (account, created_at) index, so a page costs the same whatever the ledger size.
    """
    from django.db.models import OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    from tokens.models import EntryKind, LedgerEntry

    entries = LedgerEntry.objects.filter(account=OuterRef("token_account_id"))
    spend = (
        entries.filter(kind=EntryKind.SPEND)
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    last = entries.order_by("-created_at").values("created_at")[:1]
    users = User.objects.select_related("token_account").annotate(
        balance=Coalesce(F("token_account__balance"), 0),
        held=Coalesce(F("token_account__held"), 0),
        spend=Coalesce(-Subquery(spend[:1]), 0),
        last_activity=Subquery(last),
    )
    if search:
        users = users.filter(email__icontains=search.strip())
    return users.order_by(*USER_SORTS.get(sort, USER_SORTS["newest"]))


def count_in_periods(queryset, field: str, *, start, end, prev_start) -> tuple[int, int]:
    """(rows with `field` in [start, end), rows in [prev_start, start)) in one query."""
    from django.db.models import Count, Q

    totals = queryset.filter(**{f"{field}__gte": prev_start, f"{field}__lt": end}).aggregate(
        current=Count("pk", filter=Q(**{f"{field}__gte": start})),
        previous=Count("pk", filter=Q(**{f"{field}__lt": start})),
    )
    return totals["current"], totals["previous"]


def count_signups(*, start, end, prev_start) -> tuple[int, int]:
    return count_in_periods(User.objects.all(), "date_joined", start=start, end=end,
                            prev_start=prev_start)


def list_new_visitors():
    """Visitors seen before any account they joined existed: people trying MyBA out.

    Leaves out the visitor row sign-up makes for every new account (after the account), and a
    visitor merged into an older account (an existing customer who signed in again).
    """
    from django.db.models import Q

    return AnonymousVisitor.objects.filter(
        Q(merged_into__isnull=True) | Q(merged_into__date_joined__gt=F("created_at"))
    )


def count_visitors(*, start, end, prev_start) -> tuple[int, int]:
    """New visitors (see `list_new_visitors`) first seen in each period."""
    return count_in_periods(list_new_visitors(), "created_at", start=start, end=end,
                            prev_start=prev_start)


def count_active_users(*, start, end, prev_start) -> tuple[int, int]:
    """Users who spent tokens (generated something) in each period, counted once each."""
    from django.db.models import Count, Q

    from tokens.models import EntryKind, LedgerEntry

    totals = LedgerEntry.objects.filter(
        kind=EntryKind.SPEND,
        account__user__isnull=False,
        created_at__gte=prev_start,
        created_at__lt=end,
    ).aggregate(
        current=Count("account", distinct=True, filter=Q(created_at__gte=start)),
        previous=Count("account", distinct=True, filter=Q(created_at__lt=start)),
    )
    return totals["current"], totals["previous"]


def signups_by_day(*, start, end) -> list[dict]:
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    return list(
        User.objects.filter(date_joined__gte=start, date_joined__lt=end)
        .annotate(day=TruncDate("date_joined"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    )


def get_user_for_staff(pk: int) -> User | None:
    return User.objects.select_related("token_account").filter(pk=pk).first()


def count_visitor_funnel(*, start, end, generated, purchases) -> dict:
    """A nested funnel over the new visitors first seen in [start, end): how many generated a
    ticket, of those how many signed up, of those how many bought once, and of those how many
    bought again. Each count is a subset of the one before it.

    Only new visitors (`list_new_visitors`) are the cohort: with the row sign-up makes for every
    account, people who signed up straight away would count as "signed up" without ever
    generating, and a customer signing in again as a new sign-up.

    `generated` (a boolean) and `purchases` (a count) are expressions over a visitor row from
    the apps that own tickets and purchases, so the whole funnel is one query.
    """
    from django.db.models import Count, Q

    cohort = list_new_visitors().filter(created_at__gte=start, created_at__lt=end).annotate(
        generated=generated, purchases=purchases
    )
    tried = Q(generated=True)
    signed_up = tried & Q(merged_into__isnull=False)
    return cohort.aggregate(
        visitors=Count("id"),
        generated_count=Count("id", filter=tried),
        signed_up=Count("id", filter=signed_up),
        purchased=Count("id", filter=signed_up & Q(purchases__gte=1)),
        repeat=Count("id", filter=signed_up & Q(purchases__gte=2)),
    )


def list_staff_actions(*, target: User | None = None):
    actions = StaffAction.objects.select_related("actor", "target").order_by("-created_at", "-id")
    return actions.filter(target=target) if target is not None else actions


def list_user_sessions(user: User):
    from allauth.usersessions.models import UserSession

    return UserSession.objects.filter(user=user).order_by("-last_seen_at")
