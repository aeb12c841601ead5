"""Referrals: the link, the sign-up through it with its fraud gates, qualification, the
rewards (each once), tiers, clawback on refund, and staff decisions on held referrals."""

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SignInRecord, StaffAction, User
from accounts.network import get_client_ip, hash_network
from accounts.notifications.sign_ins import signed_in_from_this_browser
from accounts.selectors import get_cookie_visitor
from accounts.services import get_or_open_user_account, record_staff_action
from billing.models import Purchase
from referrals.models import Referral, ReferralOpen, ReferralProfile, new_code
from referrals.selectors import awaits_qualification
from tickets.models import Ticket
from tokens.models import EntryKind, LedgerEntry, TokenAccount
from tokens.services import clawback_lot, grant_tokens

Status = Referral.Status
# Where the code of a referral link opened in this browser waits for the sign-up.
SESSION_KEY = "referral_code"
DISPOSABLE_DOMAINS = Path(__file__).parent / "data" / "disposable_domains.txt"


def get_profile(*, user: User) -> ReferralProfile:
    """The user's referral profile, made with a fresh code on first use."""
    profile, _created = ReferralProfile.objects.get_or_create(user=user)
    return profile


def regenerate_code(*, user: User) -> ReferralProfile:
    """A new code; the old link stops working at once (its sign-ups stay credited)."""
    profile = get_profile(user=user)
    profile.code = new_code()
    profile.save(update_fields=["code"])
    return profile


def set_leaderboard(*, user: User, on: bool, display_name: str) -> ReferralProfile:
    profile = get_profile(user=user)
    profile.on_leaderboard, profile.display_name = on, display_name.strip()[:40]
    profile.save(update_fields=["on_leaderboard", "display_name"])
    return profile


def record_open(*, code: str) -> ReferralProfile | None:
    """Count one opening of the link `code` (the caller counts each browser session once)."""
    profile = ReferralProfile.objects.filter(code=code).first()
    if profile is not None:
        ReferralOpen.objects.create(profile=profile)
    return profile


@lru_cache(maxsize=1)
def _disposable() -> frozenset[str]:
    lines = DISPOSABLE_DOMAINS.read_text().splitlines()
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.startswith("#"))


def is_disposable(email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].lower()
    parts = domain.split(".")
    return any(".".join(parts[i:]) in _disposable() for i in range(len(parts) - 1))


def _referrers_browser(referrer: User, request: HttpRequest) -> bool:
    """The referee signs up in a browser the referrer used: one they signed in from (its
    device cookie), or whose visitor tokens were carried into their account (its visitor
    cookie)."""
    visitor = get_cookie_visitor(request)
    return (visitor is not None and visitor.merged_into_id == referrer.pk) or \
        signed_in_from_this_browser(referrer, request)


def _referrer_networks(referrer: User, since: datetime | None = None) -> set[str]:
    sign_ins = SignInRecord.objects.filter(user=referrer, ip__isnull=False)
    if since is not None:
        sign_ins = sign_ins.filter(created_at__gte=since)
    return {hash_network(ip) for ip in sign_ins.values_list("ip", flat=True)}


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def _gate(referrer: User, referee: User, request: HttpRequest, now: datetime) -> tuple[str, str]:
    """(status, reason) for a new referral: refused, held for review or signed up."""
    if is_disposable(referee.email):
        return Status.REFUSED, _("Disposable email addresses do not earn referral rewards.")
    network = hash_network(get_client_ip(request) or "")
    if _referrers_browser(referrer, request) or (
            _domain(referrer.email) == _domain(referee.email)
            and network in _referrer_networks(referrer)):
        return Status.REFUSED, _("Looks like the same person: you cannot refer yourself.")
    window = now - timedelta(hours=settings.REFERRAL_SAME_NETWORK_HOURS)
    if network in _referrer_networks(referrer, since=window):
        return Status.HELD, _("Signed up from the same network as the referrer: we check "
                              "these by hand.")
    return Status.SIGNED_UP, ""


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.REFERRAL_REWARD_EXPIRY_DAYS)


def _grant_referee_bonus(referral: Referral, account: TokenAccount, now: datetime) -> None:
    if settings.REFERRAL_REFEREE_BONUS <= 0:
        return
    referral.referee_entry = grant_tokens(
        account=account, amount=settings.REFERRAL_REFEREE_BONUS, kind=EntryKind.REFERRAL,
        idempotency_key=f"referral:{referral.pk}:referee", reference=f"referral:{referral.pk}",
        expires_at=_expiry(now), memo="Bonus for joining through a referral")


def start_referral(*, referee: User, code: str, request: HttpRequest,
                   now: datetime | None = None) -> Referral | None:
    """A user signed up through the link `code`.

    Writes the `Referral` (one per referee: a unique constraint) with the fraud gates'
    verdict, and — when it passes — the referee's bonus (key `referral:<id>:referee`); a
    refused or held referee is flagged (`User.growth_flagged_at`), which turns other growth
    rewards off. Locks the referee's token account first. Returns None for an unknown code
    or the referrer's own link.
    """
    now = now or timezone.now()
    profile = ReferralProfile.objects.filter(code=code).select_related("user").first()
    if profile is None or profile.user_id == referee.pk:
        return None
    status, reason = _gate(profile.user, referee, request, now)
    account = get_or_open_user_account(user=referee)
    try:
        with transaction.atomic():
            TokenAccount.objects.select_for_update(no_key=True).filter(pk=account.pk).first()
            referral = Referral.objects.create(referrer=profile.user, referee=referee,
                                               status=status, reason=reason)
            if status == Status.SIGNED_UP:
                _grant_referee_bonus(referral, account, now)
                referral.save(update_fields=["referee_entry"])
            else:
                User.objects.filter(pk=referee.pk).update(growth_flagged_at=now,
                                                          growth_flag_reason=reason[:200])
    except IntegrityError:
        return Referral.objects.get(referee=referee)
    check_qualification(referee=referee, now=now)
    return referral


def _qualifying_purchase(referee: User | int) -> int | None:
    return Purchase.objects.filter(user=referee, status=Purchase.Status.PAID).order_by(
        "paid_at").values_list("pk", flat=True).first()


def _tickets_made(referee: User | int) -> int:
    return Ticket.objects.filter(owner=referee, status="succeeded").count()


def check_qualification(*, referee: User | int, now: datetime | None = None
                        ) -> Referral | None:
    """Reward the referrer if `referee` (a user or a user's id) now qualifies: a verified
    email and a first paid purchase or REFERRAL_QUALIFY_TICKETS tickets. Safe to call on
    every event; no query when the user was not referred (`awaits_qualification`)."""
    if not awaits_qualification(referee.pk if isinstance(referee, User) else referee):
        return None
    referral = Referral.objects.filter(referee=referee, status=Status.SIGNED_UP).first()
    if referral is None:
        return None
    if not EmailAddress.objects.filter(user=referee, verified=True).exists():
        return referral
    purchase_id = _qualifying_purchase(referee)
    if purchase_id is None and _tickets_made(referee) < settings.REFERRAL_QUALIFY_TICKETS:
        return referral
    return reward_referral(referral_id=referral.pk, purchase_id=purchase_id, now=now)


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def reward_referral(*, referral_id: int, purchase_id: int | None = None,
                    now: datetime | None = None, statuses=(Status.SIGNED_UP,)) -> Referral:
    """Grant the referrer's reward for a qualified referee (key `referral:<id>:referrer`,
    expiring after REFERRAL_REWARD_EXPIRY_DAYS), then any tier bonus reached this month.

    Locks the referrer's token account first, then the referral row; the monthly cap is
    counted under that lock, so racing qualifications can neither pass it nor grant twice.
    Over the cap (or with a flagged referrer) the referral is marked qualified, with the
    reason, and nothing is granted.
    """
    now = now or timezone.now()
    referrer = Referral.objects.select_related("referrer").get(pk=referral_id).referrer
    account = get_or_open_user_account(user=referrer)
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).filter(pk=account.pk).first()
        referral = Referral.objects.select_for_update().get(pk=referral_id)
        if referral.status not in statuses:
            return referral
        referral.qualified_at = referral.qualified_at or now
        referral.qualifying_purchase_id = purchase_id
        month = _month_start(now)
        rewarded = Referral.objects.filter(referrer=referrer, status=Status.REWARDED,
                                           rewarded_at__gte=month).count()
        if referrer.growth_flagged_at is not None:
            referral.status, referral.reason = Status.QUALIFIED, _(
                "The referrer's account is under review.")
        elif rewarded >= settings.REFERRAL_MONTHLY_CAP:
            referral.status, referral.reason = Status.QUALIFIED, _(
                "Qualified, but this month's limit of rewarded referrals was already reached.")
        else:
            referral.referrer_entry = grant_tokens(
                account=account, amount=settings.REFERRAL_REFERRER_REWARD,
                kind=EntryKind.REFERRAL, idempotency_key=f"referral:{referral.pk}:referrer",
                reference=f"referral:{referral.pk}", expires_at=_expiry(now),
                memo=f"Referral reward: {referral.referee.email} joined")
            referral.status, referral.rewarded_at, referral.reason = Status.REWARDED, now, ""
        referral.save()
        _grant_tiers(referrer, account, month, now)
    return referral


def _grant_tiers(referrer: User, account: TokenAccount, month: datetime, now: datetime) -> None:
    """Tier bonuses for qualified referrals this month, once per tier (caller holds the
    referrer's account lock)."""
    qualified = Referral.objects.filter(
        referrer=referrer, qualified_at__gte=month,
        status__in=(Status.QUALIFIED, Status.REWARDED)).count()
    for threshold, bonus in settings.REFERRAL_TIERS:
        key = f"referral-tier:{referrer.pk}:{month:%Y-%m}:{threshold}"
        if qualified >= threshold and not LedgerEntry.objects.filter(
                idempotency_key=key).exists():
            grant_tokens(account=account, amount=bonus, kind=EntryKind.REFERRAL,
                         idempotency_key=key, reference=key, expires_at=_expiry(now),
                         memo=f"Referral tier: {threshold} referrals in {month:%B %Y}")


def claw_back_referral(*, purchase_id: int, fully_refunded: bool) -> Referral | None:
    """The referee's qualifying purchase was fully refunded: take back what is left of the
    referrer's reward (key `referral:<id>:clawback`). The referral row is claimed first by a
    conditional update, so the clawback happens once however often the refund is reported."""
    if not fully_refunded:
        return None
    referral = Referral.objects.filter(qualifying_purchase_id=purchase_id,
                                       status=Status.REWARDED).first()
    if referral is None:
        return None
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).filter(
            pk=referral.referrer_entry.account_id).first()
        if not Referral.objects.filter(pk=referral.pk, clawed_back_at__isnull=True).update(
                clawed_back_at=timezone.now(), reason=_("The referred purchase was refunded.")):
            return referral
        entry = clawback_lot(lot_entry=referral.referrer_entry,
                             amount=settings.REFERRAL_REFERRER_REWARD,
                             idempotency_key=f"referral:{referral.pk}:clawback",
                             reason="The referred purchase was refunded")
        taken = entry.requested - entry.shortfall if entry is not None else 0
        Referral.objects.filter(pk=referral.pk).update(tokens_clawed_back=taken)
    referral.refresh_from_db()
    return referral


def decide_held_referral(*, actor: User, referral: Referral, approve: bool,
                         reason: str) -> Referral:
    """Staff settle a held referral, audit-logged in the same transaction.

    Approve: the referee's flag is lifted, their bonus granted, and the referrer rewarded as
    soon as the referee qualifies. Reject: refused with the reason given. Only a referral
    still held changes (a second decision is a no-op).
    """
    now = timezone.now()
    account = get_or_open_user_account(user=referral.referee)
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).filter(pk=account.pk).first()
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.status != Status.HELD:
            return locked
        if approve:
            locked.status, locked.reason = Status.SIGNED_UP, ""
            _grant_referee_bonus(locked, account, now)
            User.objects.filter(pk=locked.referee_id).update(growth_flagged_at=None,
                                                             growth_flag_reason="")
        else:
            locked.status, locked.reason = Status.REFUSED, reason.strip()[:200]
        locked.decided_by = actor
        locked.save()
        record_staff_action(
            actor=actor, target=locked.referee,
            action=StaffAction.Action.APPROVE_REFERRAL if approve
            else StaffAction.Action.REJECT_REFERRAL,
            reason=reason, details={"referral": locked.pk, "referrer": locked.referrer_id})
    if approve:
        locked.referee.refresh_from_db()
        check_qualification(referee=locked.referee, now=now)
        locked.refresh_from_db()
    return locked
