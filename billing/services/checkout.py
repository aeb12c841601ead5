"""Opening a checkout: a Stripe Checkout Session, or the local test checkout without keys."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import stripe
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from djstripe.models import Customer

from accounts.services import get_or_open_user_account
from accounts.teams.models import Organization
from billing import selectors, stripe_api
from billing.models import BillingCustomer, Purchase, TokenPack
from billing.quotes import MAX_QUANTITY, Quote, quote_pack

logger = logging.getLogger(__name__)

# Stripe's shortest allowed session lifetime: an abandoned session (and the first-purchase
# discount it reserves) is released soon.
SESSION_TTL = timedelta(minutes=31)


class CheckoutUnavailable(Exception):
    """Checkout could not be opened; `message` is safe to show the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckoutRedirect:
    purchase: Purchase
    url: str


def ensure_customer(*, user) -> Customer:
    """The user's dj-stripe Customer, created in Stripe (and linked locally) on first use,
    and the `BillingCustomer` that says it pays for the user's token account.

    dj-stripe keys the create call with an idempotency key per user, so a retried first
    purchase does not create two customers.
    """
    try:
        customer, _created = Customer.get_or_create(
            subscriber=user, livemode=stripe_api.livemode(), api_key=stripe_api.api_key()
        )
    except stripe.StripeError as error:
        logger.exception("Could not create the Stripe customer for user %s", user.pk)
        raise CheckoutUnavailable(
            _("We could not reach our payment provider. Nothing was charged; please try again.")
        ) from error
    account = get_or_open_user_account(user=user)
    BillingCustomer.objects.get_or_create(token_account=account,
                                          defaults={"stripe_customer_id": customer.id})
    return customer


def ensure_team_customer(*, organization: Organization, user) -> str:
    """The Stripe customer id that pays for a team's pool: created in Stripe on the team's
    first purchase (named after the team, billed to the buying admin's email; keyed by an
    idempotency key per team, so a retry or a second admin buying at once makes one), and
    recorded as the pool's `BillingCustomer`."""
    existing = (BillingCustomer.objects.filter(token_account_id=organization.token_account_id)
                .values_list("stripe_customer_id", flat=True).first())
    if existing:
        return existing
    try:
        customer = stripe.Customer.create(
            api_key=stripe_api.api_key(), idempotency_key=f"myba-team-customer-{organization.pk}",
            name=organization.name, email=user.email,
            metadata={"organization": organization.slug,
                      "token_account": str(organization.token_account_id)})
    except stripe.StripeError as error:
        logger.exception("Could not create the Stripe customer for team %s", organization.pk)
        raise CheckoutUnavailable(
            _("We could not reach our payment provider. Nothing was charged; please try again.")
        ) from error
    billing, _created = BillingCustomer.objects.get_or_create(
        token_account_id=organization.token_account_id,
        defaults={"stripe_customer_id": customer["id"]})
    return billing.stripe_customer_id


def _release_open_discount(*, user) -> None:
    """Expire the user's abandoned discounted session so a new checkout can carry the discount.

    If Stripe refuses because that session was just paid, the discount is spent and stays
    reserved; the new checkout goes ahead at full price.
    """
    for purchase in Purchase.objects.filter(
        user=user, first_purchase_discount=True, status=Purchase.Status.OPEN
    ):
        if purchase.stripe_checkout_session_id and not purchase.test_mode:
            try:
                stripe.checkout.Session.expire(
                    purchase.stripe_checkout_session_id, api_key=stripe_api.api_key()
                )
            except stripe.StripeError:
                logger.info(
                    "Session %s could not be expired; keeping its discount reservation",
                    purchase.stripe_checkout_session_id,
                )
                continue
        expire_checkout(session_id=purchase.stripe_checkout_session_id, purchase=purchase)


def _reserve_purchase(*, user, account, quote: Quote, test_mode: bool,
                      for_team: bool = False) -> Purchase:
    """Write the open purchase with the quote's figures; the first-purchase discount is
    claimed by a unique constraint, so two racing checkouts cannot both carry it. A team's
    purchase never carries it: the discount welcomes a person, once."""
    fields = {
        "user": user,
        "token_account": account,
        "pack": quote.pack,
        "quantity": quote.quantity,
        "tokens": quote.tokens,
        "bonus_tokens": quote.bonus_tokens,
        "sale": quote.sale,
        "amount_subtotal": quote.subtotal,
        "currency": quote.pack.currency,
        "test_mode": test_mode,
    }
    percent = stripe_api.discount_percent()
    wants_discount = (percent > 0 and not for_team
                      and not selectors.has_completed_purchase(user))
    if wants_discount:
        try:
            with transaction.atomic():
                return Purchase.objects.create(
                    **fields,
                    amount_total=selectors.discounted_cents(quote.subtotal, percent),
                    discount_percent=percent,
                    first_purchase_discount=True,
                )
        except IntegrityError:
            logger.info("First-purchase discount already reserved for user %s", user.pk)
    return Purchase.objects.create(**fields, amount_total=quote.subtotal)


def _line_item(quote: Quote) -> dict:
    """The pack at its catalog Price, or at the sale price as ad-hoc `price_data` on the
    pack's own Product (so coupons restricted to pack products still apply)."""
    if quote.on_sale_price:
        return {
            "price_data": {
                "currency": quote.pack.currency,
                "product": quote.pack.stripe_product_id,
                "unit_amount": quote.unit_amount,
            },
            "quantity": quote.quantity,
        }
    return {"price": quote.pack.stripe_price_id, "quantity": quote.quantity}


def _metadata(*, purchase: Purchase, account, user, organization=None) -> dict:
    """What the session carries so fulfilment grants exactly what was quoted, even if the
    purchase row were missing or the sale ended while the customer was paying."""
    metadata = {
        "pack": purchase.pack.slug,
        "token_account": str(account.pk),
        "user": str(user.pk),
        "purchase": str(purchase.public_id),
        "quantity": str(purchase.quantity),
        "tokens": str(purchase.tokens),
        "bonus_tokens": str(purchase.bonus_tokens),
    }
    if purchase.sale_id:
        metadata["sale"] = str(purchase.sale_id)
    if organization is not None:
        metadata["organization"] = organization.slug
    return metadata


def create_checkout_session(
    *, user, pack: TokenPack, base_url: str, quantity: int = 1, now: datetime | None = None,
    organization: Organization | None = None,
) -> CheckoutRedirect:
    """Open a checkout for `quantity` packs and return where to send the user: tokens for
    the user's own account, or, with `organization`, for that team's pool (the caller has
    checked the user may buy for it; the team is its own Stripe customer).

    The price is the pack's, or its sale price if a flash sale is on at `now` (default: the
    server's clock); the paid and bonus tokens (sale bonus, bulk bonus) come from the same
    `billing.quotes.quote_pack` the pricing page shows, and are stored on the purchase and
    the session's metadata.
    Writes: the user's token account (if missing), a Stripe Customer (first purchase), an
    `open` Purchase, and a Stripe Checkout Session (mode `payment`, metadata naming the pack,
    quantity, tokens, sale, token account, user and purchase; idempotency key from the
    purchase; promotion codes allowed unless the first-purchase coupon is applied, which
    Stripe does not combine with them). Without Stripe keys in development the URL is the
    local test checkout instead.
    Locks: nothing is held while Stripe is called; the discount is reserved by a constraint.
    Guarantees: the first-purchase discount is applied to at most one paid purchase per user.
    Raises `CheckoutUnavailable` (nothing charged, purchase closed) when Stripe fails or the
    quantity is not 1..MAX_QUANTITY.
    """
    if not pack.active:
        raise CheckoutUnavailable(_("That pack is no longer on sale."))
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CheckoutUnavailable(_("Choose from 1 to {max} packs.").format(max=MAX_QUANTITY))
    now = now or timezone.now()
    quote = quote_pack(pack=pack, quantity=quantity,
                       sale=selectors.get_active_sales(now=now).get(pack.pk))
    account = (organization.token_account if organization is not None
               else get_or_open_user_account(user=user))
    for_team = organization is not None
    local = selectors.is_local_checkout_enabled()
    if not local and not stripe_api.is_configured():
        raise CheckoutUnavailable(_("Purchases are not available right now."))
    if not local and not (pack.stripe_price_id and pack.stripe_product_id):
        logger.error("Pack %s has no Stripe price: run manage.py sync_stripe_catalog", pack.slug)
        raise CheckoutUnavailable(_("Purchases are not available right now."))

    if local:
        if not for_team:
            Purchase.objects.filter(
                user=user, first_purchase_discount=True, status=Purchase.Status.OPEN
            ).update(status=Purchase.Status.EXPIRED)
        purchase = _reserve_purchase(user=user, account=account, quote=quote, test_mode=True,
                                     for_team=for_team)
        purchase.stripe_checkout_session_id = f"cs_test_local_{secrets.token_hex(12)}"
        purchase.checkout_url = base_url + reverse(
            "billing:test_checkout", args=[purchase.public_id]
        )
        purchase.save(update_fields=["stripe_checkout_session_id", "checkout_url", "updated_at"])
        return CheckoutRedirect(purchase=purchase, url=purchase.checkout_url)

    if for_team:
        customer_id = ensure_team_customer(organization=organization, user=user)
    else:
        customer_id = ensure_customer(user=user).id
        _release_open_discount(user=user)
    purchase = _reserve_purchase(user=user, account=account, quote=quote, test_mode=False,
                                 for_team=for_team)
    metadata = _metadata(purchase=purchase, account=account, user=user,
                         organization=organization)
    expires_at = timezone.now() + SESSION_TTL
    params = {
        "mode": "payment",
        "customer": customer_id,
        "client_reference_id": str(purchase.public_id),
        "line_items": [_line_item(quote)],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": base_url + reverse("billing:success") + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": base_url + reverse("billing:cancel") + "?session_id={CHECKOUT_SESSION_ID}",
        "expires_at": int(expires_at.timestamp()),
        # An invoice for every purchase, with the billing address and tax id Checkout asks
        # for (kept on the customer for the next one).
        "invoice_creation": {"enabled": True, "invoice_data": {"metadata": metadata}},
        "billing_address_collection": "required",
        "tax_id_collection": {"enabled": True},
        "customer_update": {"address": "auto", "name": "auto"},
    }
    if purchase.first_purchase_discount:
        params["discounts"] = [{"coupon": stripe_api.first_purchase_coupon_id()}]
    else:
        params["allow_promotion_codes"] = True
    try:
        session = stripe.checkout.Session.create(
            api_key=stripe_api.api_key(),
            idempotency_key=f"myba-checkout-{purchase.public_id}",
            **params,
        )
    except stripe.StripeError as error:
        logger.exception("Stripe refused a checkout session for purchase %s", purchase.pk)
        Purchase.objects.filter(pk=purchase.pk).update(status=Purchase.Status.EXPIRED)
        raise CheckoutUnavailable(
            _("We could not open the payment page. Nothing was charged; please try again.")
        ) from error
    purchase.stripe_checkout_session_id = session["id"]
    purchase.checkout_url = session["url"]
    purchase.session_expires_at = expires_at
    purchase.stripe_customer_id = customer_id
    purchase.save(
        update_fields=[
            "stripe_checkout_session_id",
            "checkout_url",
            "session_expires_at",
            "stripe_customer_id",
            "updated_at",
        ]
    )
    return CheckoutRedirect(purchase=purchase, url=session["url"])


def expire_checkout(*, session_id: str, purchase: Purchase | None = None) -> Purchase | None:
    """Mark an unpaid session's purchase `expired` (session expired, failed or abandoned).

    Writes: `Purchase.status` by conditional update (only an `open` purchase changes), which
    also frees the first-purchase discount it reserved. Idempotent.
    """
    purchase = purchase or Purchase.objects.filter(stripe_checkout_session_id=session_id).first()
    if purchase is None:
        return None
    Purchase.objects.filter(pk=purchase.pk, status=Purchase.Status.OPEN).update(
        status=Purchase.Status.EXPIRED, updated_at=timezone.now()
    )
    purchase.refresh_from_db()
    return purchase
