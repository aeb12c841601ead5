"""Writes for accounts: token accounts for users and visitors, free visitor grants, the
sign-up bonus, carrying a visitor's tokens over to a user, closing a user's account, the
sites record.

Every token movement goes through `tokens.services` with an idempotency key, so repeating
any of these (a retried request, two tabs racing) moves nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts import selectors
from accounts.models import (
    AnonymousVisitor,
    ClosedAccountEmail,
    StaffAction,
    User,
    VisitorGrantQuota,
)
from accounts.network import get_client_ip, hash_network
from accounts.signals import user_account_closed, visitor_merged
from accounts.teams.services import leave_all_teams
from tokens.models import LedgerEntry, TokenAccount
from tokens.services import adjust_tokens, close_account, grant_tokens, open_account


def get_or_open_user_account(*, user: User) -> TokenAccount:
    """The user's TokenAccount, opening it if missing.

    Locks the user row so two concurrent callers open one account, not two. Idempotent.
    Updates `user.token_account` on the instance passed in.
    """
    if user.token_account_id is not None:
        return user.token_account
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.token_account_id is None:
            account = open_account(label=f"user:{user.pk}")
            User.objects.filter(pk=user.pk).update(token_account=account)
        else:
            account = TokenAccount.objects.get(pk=locked.token_account_id)
    user.token_account = account
    return account


def get_or_create_visitor(*, request: HttpRequest) -> AnonymousVisitor:
    """The visitor named by this browser's signed cookie, or a new one.

    Writes an AnonymousVisitor row when there is none; the accounts middleware then sets the
    signed cookie on the response. Grants nothing (see `grant_visitor_tokens`).
    """
    visitor = selectors.get_visitor_for_request(request)
    if visitor is not None:
        return visitor
    previous = selectors.get_cookie_visitor(request)
    ip_hash = hash_network(get_client_ip(request))
    given_id = selectors.visitor_id_from_cookie(request) if previous is None else None
    if given_id is not None:
        # The id the generator page gave this browser: the same form sent twice at once (a
        # double click, a retry through the load balancer) makes one visitor, not two.
        visitor, _ = AnonymousVisitor.objects.get_or_create(
            public_id=given_id, defaults={"ip_hash": ip_hash})
    else:
        visitor = AnonymousVisitor.objects.create(
            ip_hash=ip_hash,
            # A browser whose trial already went to an account (then signed out) gets no
            # second.
            grant_denied_at=timezone.now() if previous is not None else None,
        )
    setattr(request, selectors.NEW_VISITOR_ATTR, visitor)
    return visitor


def give_visitor_id(*, request: HttpRequest) -> None:
    """Give a browser that is not yet a visitor the id it will have as one, in the signed
    cookie (set by `VisitorCookieMiddleware`), before its first costed action. Writes nothing
    to the database: the visitor row is created by that action (`get_or_create_visitor`)."""
    if request.user.is_authenticated or selectors.visitor_id_from_cookie(request) is not None:
        return
    setattr(request, selectors.NEW_VISITOR_ID_ATTR, uuid.uuid4())


def grant_visitor_tokens(*, visitor: AnonymousVisitor, ip: str) -> TokenAccount:
    """Decide, once per visitor, whether it gets the free tokens, and return its account.

    Writes: the visitor's TokenAccount (opened on first call), a `visitor_grant` entry (key
    `visitor:<id>:grant`) and one more grant on the network's daily quota row — or, when the
    network already had its grants today, `grant_denied_at` and no tokens.
    Locks the visitor row (repeats wait and then see the decision), then the quota row (so
    concurrent visitors from one network never exceed the cap). The account is opened inside
    this transaction and nobody else can hold it yet, so locking it last cannot deadlock.
    """
    if visitor.token_account_id is not None and (visitor.granted_at or visitor.grant_denied_at):
        return visitor.token_account
    with transaction.atomic():
        locked = AnonymousVisitor.objects.select_for_update().get(pk=visitor.pk)
        if locked.token_account_id is not None:
            account = TokenAccount.objects.get(pk=locked.token_account_id)
        else:
            account = open_account(label=f"visitor:{locked.pk}")
            locked.token_account = account
        if locked.granted_at is None and locked.grant_denied_at is None and not locked.merged_at:
            _decide_grant(visitor=locked, account=account, ip_hash=hash_network(ip))
        locked.save(update_fields=["token_account", "granted_at", "grant_denied_at"])
    visitor.token_account = account
    visitor.granted_at = locked.granted_at
    visitor.grant_denied_at = locked.grant_denied_at
    return account


def _decide_grant(*, visitor: AnonymousVisitor, account: TokenAccount, ip_hash: str) -> None:
    today = timezone.now().date()
    VisitorGrantQuota.objects.bulk_create(
        [VisitorGrantQuota(ip_hash=ip_hash, day=today)], ignore_conflicts=True
    )
    quota = VisitorGrantQuota.objects.select_for_update().get(ip_hash=ip_hash, day=today)
    if quota.grants >= selectors.visitor_grants_per_network_per_day():
        visitor.grant_denied_at = timezone.now()
        return
    grant_tokens(
        account=account,
        amount=selectors.visitor_free_tokens(),
        kind="visitor_grant",
        idempotency_key=f"visitor:{visitor.pk}:grant",
        reference=f"visitor:{visitor.pk}",
        memo="Free tokens for trying MyBA",
    )
    quota.grants += 1
    quota.save(update_fields=["grants"])
    visitor.granted_at = timezone.now()
    # The headers' cached count: dropped now (this transaction reads its own change), set
    # once it commits (over any old count another header read and added meanwhile).
    key, grants = selectors.network_grants_cache_key(ip_hash, today), quota.grants
    cache.delete(key)
    transaction.on_commit(
        lambda: cache.set(key, grants, selectors.NETWORK_GRANTS_CACHE_SECONDS))


def get_paying_account(*, request: HttpRequest) -> TokenAccount:
    """The TokenAccount a costed action on this request spends from.

    Signed in: the user's account (opened if missing; never a visitor grant). Anonymous:
    the visitor's account, creating the visitor and deciding its free grant on first use.
    """
    user = request.user
    if user.is_authenticated:
        return get_or_open_user_account(user=user)
    visitor = get_or_create_visitor(request=request)
    return grant_visitor_tokens(visitor=visitor, ip=get_client_ip(request))


def carry_over_visitor_tokens(*, user: User, visitor: AnonymousVisitor) -> int:
    """Move the visitor's tokens to the user, once; returns how many were free to spend.

    Writes: the visitor marked merged (`merged_into`, `merged_at`) by a conditional update —
    of two racing tabs exactly one moves anything, the other gets 0 — and the closing of the
    visitor's account into the user's (`tokens.services.close_account` with a successor, key
    `visitor:<id>:close`): its whole balance moves, and so does every pending hold, so a
    generation still running when the visitor signs up or in is captured from (or released
    to) the user's account. Locks both TokenAccounts in id order first, then the visitor
    row. Sends `visitor_merged` after commit (tickets follow their visitor).
    """
    user_account = get_or_open_user_account(user=user)
    with transaction.atomic():
        account_ids = sorted({user_account.pk, visitor.token_account_id} - {None})
        locked = {
            account.pk: account
            for account in TokenAccount.objects.select_for_update(no_key=True)
            .filter(pk__in=account_ids)
            .order_by("pk")
        }
        won = AnonymousVisitor.objects.filter(pk=visitor.pk, merged_at__isnull=True).update(
            merged_into=user, merged_at=timezone.now()
        )
        if not won:
            return 0
        available = 0
        visitor_account = locked.get(visitor.token_account_id)
        if visitor_account is not None:
            available = max(visitor_account.available, 0)
            close_account(
                account=visitor_account,
                successor=locked[user_account.pk],
                actor=user,
                reason=f"free trial carried over to user {user.pk}",
                idempotency_key=f"visitor:{visitor.pk}:close",
            )
        transaction.on_commit(
            lambda: visitor_merged.send(sender=AnonymousVisitor, visitor=visitor, user=user)
        )
    return available


@dataclass(frozen=True)
class SignupBonus:
    """What a new user received at sign-up. `returning`: the address belonged to an account
    its owner deleted, which had the welcome bonus, so this one gets none."""

    welcome: int
    carried_over: int
    returning: bool = False

    @property
    def message(self) -> str:
        if self.returning:
            message = gettext(
                "Welcome back! This email address had its welcome tokens on an earlier "
                "account, so none were added this time."
            )
            if self.carried_over:
                message += " " + ngettext(
                    "%(count)s token carried over from your free trial.",
                    "%(count)s tokens carried over from your free trial.",
                    self.carried_over) % {"count": self.carried_over}
            return message
        if self.carried_over:
            return ngettext(
                "Welcome! %(welcome)s tokens added, plus %(count)s carried over from your "
                "free trial.",
                "Welcome! %(welcome)s tokens added, plus %(count)s carried over from your "
                "free trial.",
                self.carried_over) % {"welcome": self.welcome, "count": self.carried_over}
        return ngettext("Welcome! %(count)s token added.", "Welcome! %(count)s tokens added.",
                        self.welcome) % {"count": self.welcome}


def on_user_signed_up(*, user: User, request: HttpRequest) -> SignupBonus:
    """Give a new user the welcome tokens and this browser's free-trial tokens, once.

    Writes: the user's TokenAccount, a `welcome` entry (key `user:<id>:welcome`) unless the
    address belonged to an account its owner deleted (one welcome bonus per address: deleting
    and signing up again must not farm tokens), the visitor's grant if it was never written
    (same network cap as any visitor), and the carry-over (see `carry_over_visitor_tokens`).
    Each step is its own idempotent transaction, so no transaction holds a visitor lock while
    waiting for an account lock.
    """
    account = get_or_open_user_account(user=user)
    returning = selectors.email_belonged_to_closed_account(user.email)
    welcome = 0 if returning else selectors.welcome_tokens()
    if welcome:
        grant_tokens(
            account=account,
            amount=welcome,
            kind="welcome",
            idempotency_key=f"user:{user.pk}:welcome",
            reference=f"user:{user.pk}",
            memo="Welcome bonus",
        )
    visitor = selectors.get_cookie_visitor(request)
    if visitor is None:
        visitor = get_or_create_visitor(request=request)
    if visitor.merged_at is not None:
        # Another tab already carried this browser's trial over.
        return SignupBonus(welcome=welcome, carried_over=0, returning=returning)
    grant_visitor_tokens(visitor=visitor, ip=get_client_ip(request))
    carried = carry_over_visitor_tokens(user=user, visitor=visitor)
    return SignupBonus(welcome=welcome, carried_over=carried, returning=returning)


def on_user_signed_in(*, user: User, request: HttpRequest) -> int:
    """Carry over the tokens a visitor already holds in this browser to the user signing in.

    Never grants: a visitor with nothing in the ledger has nothing to move. Returns the
    number of tokens moved (0 when there was nothing or another tab already moved them).
    """
    visitor = selectors.get_visitor_for_request(request)
    if visitor is None or visitor.token_account_id is None:
        return 0
    return carry_over_visitor_tokens(user=user, visitor=visitor)


def end_user_session(*, user: User, session_id: int) -> bool:
    """Sign the user out of one of their sessions (allauth usersessions); False when it is
    not theirs or already gone. Deletes the session from the session store and its row."""
    from allauth.usersessions.models import UserSession

    session = UserSession.objects.filter(user=user, pk=session_id).first()
    if session is None:
        return False
    session.end()
    return True


# Deleted accounts keep their row (ledger entries and purchases point at it) under an address
# that can never receive mail (.invalid is reserved, RFC 2606) and frees the real one.
DELETED_EMAIL_DOMAIN = "deleted.invalid"


def close_user_account(*, user: User) -> None:
    """Delete an account the way accounting allows: the person's details go, the user row
    stays (ledger entries and purchases point at it) anonymized, and their address is free
    for a new account.

    Writes, in one transaction: the TokenAccount closed with an `adjustment` entry (key
    `user:<id>:close`) by `tokens.services.close_account`, which locks it first; then, on the
    locked user row: email `deleted-<id>@deleted.invalid`, names cleared, an unusable
    password, `is_active`, `is_staff` and `is_superuser` off; a ClosedAccountEmail hash of
    each of their verified addresses (one welcome bonus per address); their allauth email
    addresses, connected accounts, MFA authenticators and sessions deleted.
    After the commit, `user_account_closed` is sent (a plan stops renewing).
    They leave every team they are in (`accounts.teams.services.leave_all_teams`) and their
    personal API keys are revoked.
    Raises PendingHolds, changing nothing, while a generation still holds their tokens, and
    TeamError, changing nothing, while they are the only owner of a team with other members.
    Idempotent: closing a closed account changes nothing more.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount
    from allauth.usersessions.models import UserSession

    from accounts.apikeys.services import revoke_user_api_keys

    with transaction.atomic():
        if user.token_account_id is not None:
            close_account(
                account=TokenAccount.objects.get(pk=user.token_account_id),
                actor=user,
                reason="account deleted by its owner",
                idempotency_key=f"user:{user.pk}:close",
            )
        locked = User.objects.select_for_update().get(pk=user.pk)
        leave_all_teams(user=locked)
        verified = EmailAddress.objects.filter(user=locked, verified=True)
        addresses = {locked.email, *verified.values_list("email", flat=True)}
        ClosedAccountEmail.objects.bulk_create(
            [
                ClosedAccountEmail(email_hash=ClosedAccountEmail.hash(address))
                for address in addresses
                if not address.endswith(f"@{DELETED_EMAIL_DOMAIN}")
            ],
            ignore_conflicts=True,  # the address was closed once before
        )
        EmailAddress.objects.filter(user=locked).delete()
        SocialAccount.objects.filter(user=locked).delete()
        Authenticator.objects.filter(user=locked).delete()
        # Sessions live in the database: ending them here commits or rolls back with the rest.
        for session in UserSession.objects.filter(user=locked):
            session.end()
        revoke_user_api_keys(user=locked, actor=locked)
        locked.email = f"deleted-{locked.pk}@{DELETED_EMAIL_DOMAIN}"
        locked.first_name = locked.last_name = ""
        locked.is_active = locked.is_staff = locked.is_superuser = False
        locked.set_unusable_password()
        locked.save()
        account_id = user.token_account_id
        transaction.on_commit(lambda: user_account_closed.send_robust(
            sender=User, user=user, token_account_id=account_id))
    user.refresh_from_db()


def sync_site(*, using: str = DEFAULT_DB_ALIAS) -> Site:
    """Make the sites record (SITE_ID) name the site as configured: SITE_NAME, and the host
    of SITE_URL as its domain. allauth's emails read it ("Hello from MyBA!", "... register an
    account on myba.example.com").

    Writes the Site row (created when missing, updated otherwise) and empties the sites cache
    of this process. Idempotent: accounts runs it after every `migrate`, so a deploy that
    changes SITE_URL or SITE_NAME is reflected from its migrate on.
    """
    site, _ = Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": urlsplit(settings.SITE_URL).netloc, "name": settings.SITE_NAME},
    )
    Site.objects.clear_cache()
    return site


def ensure_demo_staff(*, email: str, password: str) -> tuple[User, bool]:
    """The local demo's staff superuser, with a verified primary email and a token account.

    Writes the user (created once; password, staff flags and activity reset on every call so
    the printed password always works) and its allauth EmailAddress. Idempotent.
    """
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        user, created = User.objects.get_or_create(email=email)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    get_or_open_user_account(user=user)
    return user, created


def record_staff_action(
    *,
    actor: User,
    action: str,
    target: User | None = None,
    reason: str,
    details: dict | None = None,
) -> StaffAction:
    """Write one audit-log row: who did what to whom, and why.

    Call it inside the transaction of the action it records, so both exist or neither does.
    Raises ValueError without a reason (the database refuses an empty one too).
    """
    if not reason or not reason.strip():
        raise ValueError("A staff action needs a reason.")
    return StaffAction.objects.create(
        actor=actor,
        action=action,
        target=target,
        reason=reason.strip()[:500],
        details=details or {},
    )


def adjust_user_tokens(
    *, actor: User, user: User, amount: int, reason: str, idempotency_key: str
) -> LedgerEntry:
    """A staff token adjustment for `user`, audit-logged.

    Writes, in one transaction: the `adjustment` entry through `tokens.services.adjust_tokens`
    (which locks the TokenAccount first; actor and reason on the entry) and a `StaffAction`.
    Exactly once per key: a repeat returns the first entry and logs nothing new. Raises the
    ledger's errors (InsufficientTokens for a debit beyond what is available, ...) with
    nothing written.
    """
    account = get_or_open_user_account(user=user)
    with transaction.atomic():
        entry = adjust_tokens(
            account=account,
            amount=amount,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        already_logged = StaffAction.objects.filter(
            action=StaffAction.Action.ADJUST_TOKENS, details__idempotency_key=idempotency_key
        ).exists()
        if not already_logged:
            record_staff_action(
                actor=actor,
                action=StaffAction.Action.ADJUST_TOKENS,
                target=user,
                reason=reason,
                details={
                    "amount": amount,
                    "entry_id": entry.pk,
                    "balance_after": entry.balance_after,
                    "idempotency_key": idempotency_key,
                },
            )
    return entry


def deactivate_user(*, actor: User, user: User, reason: str) -> bool:
    """Staff deactivation: the user can no longer sign in; their ledger and data are kept.

    Writes `is_active=False` (locking the user row) and a `StaffAction` in one transaction,
    then ends the user's sessions. Returns False (nothing written) when already inactive.
    Raises ValueError for a staff member deactivating themselves or without a reason.
    """
    from allauth.usersessions.models import UserSession

    if actor.pk == user.pk:
        raise ValueError("You cannot deactivate your own account.")
    with transaction.atomic():
        changed = User.objects.select_for_update().filter(pk=user.pk, is_active=True).update(
            is_active=False
        )
        if changed:
            record_staff_action(
                actor=actor,
                action=StaffAction.Action.DEACTIVATE_USER,
                target=user,
                reason=reason,
            )
    user.is_active = False
    if changed:
        for session in UserSession.objects.filter(user=user):
            session.end()
    return bool(changed)


def dismiss_welcome(*, user: User) -> bool:
    """Put away the first-time welcome for good: writes `welcomed_at` (now) on the user.

    A conditional update, so the first dismissal's time is kept and a repeat (a double click,
    a second tab) writes nothing. Returns True when this call recorded it. Updates
    `user.welcomed_at` on the instance passed in.
    """
    now = timezone.now()
    recorded = User.objects.filter(pk=user.pk, welcomed_at__isnull=True).update(welcomed_at=now)
    if recorded:
        user.welcomed_at = now
    return bool(recorded)


def set_time_zone(*, user: User, time_zone: str) -> None:
    """Write the user's time zone (an IANA name the caller validated): their calendar day for
    the daily bonus."""
    User.objects.filter(pk=user.pk).update(time_zone=time_zone)
    user.time_zone = time_zone
