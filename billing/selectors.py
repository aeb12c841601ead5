"""Reads for billing: packs, purchases, and whether the local test checkout exists."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from billing import stripe_api
from billing.models import AUTO_TOP_UP_INTERVAL, AutoTopUp, PackSale, Purchase, TokenPack
from billing.quotes import Quote, quote_pack
from config.shared_tables import SharedTable
from tokens.models import TokenAccount
from tokens.references import Described
from tokens.selectors import get_balance


def is_local_checkout_enabled() -> bool:
    """The local test checkout exists only for development: DEBUG on and no Stripe key.

    Read at request time (never cached) so a deployment that sets a key or turns DEBUG off
    loses the page at once.
    """
    return bool(settings.DEBUG) and not stripe_api.is_configured()


def list_active_packs() -> QuerySet[TokenPack]:
    return TokenPack.objects.filter(active=True).order_by("sort_order", "tokens")


# The pricing page's packs, from the shared cache (a checkout reads its pack afresh).
PACK_TABLE = SharedTable("packs", lambda: list(list_active_packs()))


def get_active_pack(slug: str) -> TokenPack | None:
    return list_active_packs().filter(slug=slug).first()


def list_purchases(user, *, account=None) -> QuerySet[Purchase]:
    """A user's purchase history — or, with `account` (a team's pool), everything bought for
    that account by anyone: every session that was paid, refunded, or is still open."""
    return (
        Purchase.objects.filter(**({"token_account": account} if account else {"user": user}))
        .exclude(status=Purchase.Status.EXPIRED)
        .select_related("pack")
        .order_by("-created_at")
    )


def get_user_purchase(user, public_id) -> Purchase | None:
    return Purchase.objects.filter(user=user, public_id=public_id).select_related("pack").first()


def get_purchase_by_session(user, session_id: str) -> Purchase | None:
    if not session_id:
        return None
    return (
        Purchase.objects.filter(user=user, stripe_checkout_session_id=session_id)
        .select_related("pack", "token_account__organization")
        .first()
    )


def has_completed_purchase(user) -> bool:
    return Purchase.objects.filter(user=user, status__in=Purchase.PAID_STATUSES).exists()


def is_first_purchase_discount_available(user) -> bool:
    """Shown on the pricing page: the user has never bought (open sessions do not count —
    starting a new checkout replaces an abandoned discounted one)."""
    return stripe_api.discount_percent() > 0 and not has_completed_purchase(user)


def discounted_cents(amount: int, percent: int) -> int:
    """What Stripe charges for a `percent`-off coupon: the discount is rounded to the cent."""
    return amount - round(amount * percent / 100)


def discount_percent() -> int:
    return stripe_api.discount_percent()


def get_active_sales(*, now: datetime) -> dict[int, PackSale]:
    """The flash sale on for each pack at `now` (server time), by pack id: the server alone
    decides what is on sale. Sales of a pack do not overlap (PackSale.clean); if staff made
    them overlap anyway, the one that started last wins. Read from the database: a checkout
    charges what this says."""
    sales = PackSale.objects.filter(starts_at__lte=now, ends_at__gt=now).order_by("starts_at")
    return {sale.pack_id: sale for sale in sales}


# The sales not yet over when the table was read (current and scheduled), for the pricing
# page; which are on at a given moment is decided at read time, so the table needs renewing
# only when staff change a sale.
SALE_TABLE = SharedTable("pack-sales", lambda: list(
    PackSale.objects.filter(ends_at__gt=timezone.now()).order_by("starts_at")))


def shown_sales(*, now: datetime) -> dict[int, PackSale]:
    """`get_active_sales` from the shared cache, for showing prices (the checkout reads the
    database)."""
    return {sale.pack_id: sale for sale in SALE_TABLE.get()
            if sale.starts_at <= now < sale.ends_at}


@dataclass(frozen=True)
class PackOffer:
    """A pack as the pricing page shows it to one user: one pack's quote (sale price, bonus)
    and the first-purchase discount on top, if the user has it."""

    quote: Quote
    discounted_cents: int | None

    @property
    def pack(self) -> TokenPack:
        return self.quote.pack

    @property
    def price_cents(self) -> int:
        return self.quote.unit_amount

    @property
    def pays_cents(self) -> int:
        return self.price_cents if self.discounted_cents is None else self.discounted_cents

    @property
    def struck_cents(self) -> int | None:
        """The price shown struck through beside what is paid (None: nothing off)."""
        return self.pack.price_cents if self.pays_cents < self.pack.price_cents else None

    @property
    def per_token_cents(self) -> Decimal:
        tokens = self.pack.tokens + self.quote.bonus_tokens
        return (Decimal(self.pays_cents) / tokens).quantize(Decimal("0.1"))


def list_pack_offers(*, now: datetime, discount_percent: int = 0) -> list[PackOffer]:
    sales = shown_sales(now=now)
    offers = []
    for pack in PACK_TABLE.get():
        quote = quote_pack(pack=pack, sale=sales.get(pack.pk))
        offers.append(PackOffer(
            quote=quote,
            discounted_cents=discounted_cents(quote.unit_amount, discount_percent)
            if discount_percent else None,
        ))
    return offers


def get_user_balance(user) -> int:
    """Tokens the user can spend now, read fresh (the success page polls it)."""
    return get_account_balance(getattr(user, "token_account_id", None))


def get_account_balance(account_id: int | None) -> int:
    """Tokens available on an account now, read fresh (0 for none)."""
    if account_id is None:
        return 0
    account = TokenAccount.objects.filter(pk=account_id).first()
    return get_balance(account)[2] if account is not None else 0


# --- Automatic top-up -----------------------------------------------------------------------


def is_account_low(account_id: int) -> bool:
    """Whether the account's available tokens are below its alert level now (never, when the
    level is 0)."""
    account = TokenAccount.objects.filter(pk=account_id).first()
    return account is not None and account.is_low


@dataclass(frozen=True)
class AutoTopUpStatus:
    """What the purchase history page says about a user's automatic top-up."""

    settings: AutoTopUp  # the user's row, or an unsaved one (off, no card) if they have none
    last: Purchase | None  # the latest automatic top-up, whatever became of it
    threshold: int  # the account's alert level (0: alerts, and so top-ups, are off)
    next_possible_at: datetime | None  # set while the once-a-day rule holds the next one back


def get_auto_top_up_status(user, *, now: datetime) -> AutoTopUpStatus:
    top_up = AutoTopUp.objects.filter(user=user).select_related("pack").first() or \
        AutoTopUp(user=user)
    last = (Purchase.objects.filter(user=user, automatic=True).select_related("pack")
            .order_by("-created_at").first())
    account = TokenAccount.objects.filter(pk=user.token_account_id).first() \
        if user.token_account_id else None
    next_at = top_up.last_attempt_at + AUTO_TOP_UP_INTERVAL if top_up.last_attempt_at else None
    return AutoTopUpStatus(
        settings=top_up, last=last,
        threshold=account.low_balance_threshold if account is not None else 0,
        next_possible_at=next_at if next_at and next_at > now else None)


# --- Staff dashboard figures (one query each, whatever the number of rows) -----------------


def purchase_totals(*, start, end, prev_start) -> dict:
    """Purchases paid and money taken, per period: {current: {...}, previous: {...}}.

    gross = amount charged for purchases paid in the period; refunded = refunds recorded in
    the period (whenever the purchase was paid); net = gross - refunded. Smallest unit.
    """
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import Coalesce

    paid = Q(status__in=Purchase.PAID_STATUSES, paid_at__isnull=False)
    periods = {"current": (start, end), "previous": (prev_start, start)}
    aggregates = {}
    for name, (low, high) in periods.items():
        in_paid = paid & Q(paid_at__gte=low, paid_at__lt=high)
        in_refund = Q(refunded_at__gte=low, refunded_at__lt=high)
        aggregates[f"{name}_count"] = Count("id", filter=in_paid)
        aggregates[f"{name}_gross"] = Coalesce(Sum("amount_total", filter=in_paid), 0)
        aggregates[f"{name}_refunded"] = Coalesce(Sum("amount_refunded", filter=in_refund), 0)
    window = Q(paid_at__gte=prev_start, paid_at__lt=end) | Q(
        refunded_at__gte=prev_start, refunded_at__lt=end
    )
    row = Purchase.objects.filter(window).aggregate(**aggregates)
    result = {}
    for name in periods:
        gross, refunded = row[f"{name}_gross"], row[f"{name}_refunded"]
        result[name] = {
            "count": row[f"{name}_count"],
            "gross": gross,
            "refunded": refunded,
            "net": gross - refunded,
        }
    return result


def revenue_by_day(*, start, end) -> list[dict]:
    """Per day: purchases paid and gross charged (by paid_at), refunds (by refunded_at).

    Two grouped queries (money in and money back fall on different days), merged here.
    """
    from django.db.models import Count, Sum
    from django.db.models.functions import TruncDate

    paid = (
        Purchase.objects.filter(
            status__in=Purchase.PAID_STATUSES, paid_at__gte=start, paid_at__lt=end
        )
        .annotate(day=TruncDate("paid_at"))
        .values("day")
        .annotate(count=Count("id"), gross=Sum("amount_total"))
        .order_by()
    )
    refunded = (
        Purchase.objects.filter(refunded_at__gte=start, refunded_at__lt=end)
        .annotate(day=TruncDate("refunded_at"))
        .values("day")
        .annotate(refunded=Sum("amount_refunded"))
        .order_by()
    )
    days: dict = {}
    for row in paid:
        days[row["day"]] = {"day": row["day"], "count": row["count"], "gross": row["gross"],
                            "refunded": 0}
    for row in refunded:
        days.setdefault(row["day"], {"day": row["day"], "count": 0, "gross": 0, "refunded": 0})
        days[row["day"]]["refunded"] = row["refunded"]
    for row in days.values():
        row["net"] = row["gross"] - row["refunded"]
    return [days[day] for day in sorted(days)]


def count_completed_purchases(*, user_ref: str):
    """For annotating another app's queryset: the completed purchases of the user whose id is
    the outer row's `user_ref` field (0 when none)."""
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    counts = (
        Purchase.objects.filter(user=OuterRef(user_ref), status__in=Purchase.PAID_STATUSES)
        .order_by()
        .values("user")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts[:1]), 0)


def list_user_purchases_for_staff(user) -> QuerySet[Purchase]:
    """Every purchase of a user, expired sessions included, newest first."""
    return Purchase.objects.filter(user=user).select_related("pack").order_by("-created_at")


WEBHOOK_STATUSES = ("processed", "failed", "invalid")


def list_webhook_triggers(*, status: str = ""):
    """Recent Stripe deliveries (dj-stripe `WebhookEventTrigger`), newest first, with their
    event type and our retry bookkeeping; `status` one of WEBHOOK_STATUSES filters."""
    from djstripe.models import WebhookEventTrigger

    triggers = WebhookEventTrigger.objects.select_related("event", "billing_retry").order_by(
        "-created", "-pk"
    )
    if status == "processed":
        triggers = triggers.filter(valid=True, processed=True)
    elif status == "failed":
        triggers = triggers.filter(valid=True, processed=False)
    elif status == "invalid":
        triggers = triggers.filter(valid=False)
    return triggers


def webhook_event_type(trigger) -> str:
    """The Stripe event type of a delivery; from the stored body when processing failed before
    the event row was kept."""
    if trigger.event_id:
        return trigger.event.type
    try:
        return str(trigger.json_body.get("type", ""))
    except (ValueError, AttributeError):
        return ""


def webhook_status(trigger) -> str:
    """One of WEBHOOK_STATUSES."""
    if not trigger.valid:
        return "invalid"
    return "processed" if trigger.processed else "failed"


def count_webhook_failures(*, start, end) -> dict:
    """Deliveries received in [start, end): total, failed (valid, not processed), invalid."""
    from django.db.models import Count, Q
    from djstripe.models import WebhookEventTrigger

    return WebhookEventTrigger.objects.filter(created__gte=start, created__lt=end).aggregate(
        total=Count("pk"),
        failed=Count("pk", filter=Q(valid=True, processed=False)),
        invalid=Count("pk", filter=Q(valid=False)),
    )


def get_webhook_trigger(pk: int):
    from djstripe.models import WebhookEventTrigger

    return (
        WebhookEventTrigger.objects.select_related("stripe_trigger_account", "webhook_endpoint")
        .filter(pk=pk)
        .first()
    )


def describe_purchase_references(references: list[str]) -> dict[str, Described]:
    """The ledger's purchase references in words, for usage pages (one query): a Checkout
    Session id (`cs_…`, a pack bought at checkout, and its refunds) or a PaymentIntent id
    (`pi_…`, an automatic top-up): "Professional pack" with a link to its receipt; the usage
    page says "Bought" or "Refund of"."""
    found = Purchase.objects.filter(
        Q(stripe_checkout_session_id__in=references)
        | Q(stripe_payment_intent_id__in=references, automatic=True)
    ).values_list("stripe_checkout_session_id", "stripe_payment_intent_id", "automatic",
                  "pack__name", "public_id", "lot_entry_id")
    sentinel = uuid.UUID(int=0)
    url = reverse("billing:receipt", args=[sentinel])
    described = {}
    for session_id, intent_id, automatic, pack, public_id, lot_entry_id in found:
        described[intent_id if automatic else session_id] = Described(
            text=f"{pack} pack{' (automatic top-up)' if automatic else ''}",
            url=url.replace(str(sentinel), str(public_id)) if lot_entry_id else "",
            public_id=str(public_id),
        )
    return described


def user_purchases_data(user) -> list[dict]:
    """Every purchase of the user, for their data export (accounts.usage.exports)."""
    return [
        {"id": str(p.public_id), "pack": p.pack.name, "quantity": p.quantity,
         "tokens": p.tokens, "bonus_tokens": p.bonus_tokens,
         "amount_total": p.amount_total, "currency": p.currency, "status": p.status,
         "test_mode": p.test_mode, "created_at": p.created_at, "paid_at": p.paid_at,
         "amount_refunded": p.amount_refunded}
        for p in Purchase.objects.filter(user=user).select_related("pack").order_by("created_at")
    ]
