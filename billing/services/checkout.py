"""Opening a checkout: a Stripe Checkout Session, or the local test checkout without keys."""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

import stripe
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from djstripe.models import Customer

from accounts.services import get_or_open_user_account
from billing import selectors, stripe_api
from billing.models import BillingCustomer, Purchase, TokenPack

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
            "We could not reach our payment provider. Nothing was charged; please try again."
        ) from error
    account = get_or_open_user_account(user=user)
    BillingCustomer.objects.get_or_create(token_account=account,
                                          defaults={"stripe_customer_id": customer.id})
    return customer


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


def _reserve_purchase(*, user, account, pack: TokenPack, test_mode: bool) -> Purchase:
    """Write the open purchase; the first-purchase discount is claimed by a unique constraint,
    so two racing checkouts cannot both carry it."""
    percent = stripe_api.discount_percent()
    wants_discount = percent > 0 and not selectors.has_completed_purchase(user)
    if wants_discount:
        try:
            with transaction.atomic():
                return Purchase.objects.create(
                    user=user,
                    token_account=account,
                    pack=pack,
                    tokens=pack.tokens,
                    amount_subtotal=pack.price_cents,
                    amount_total=selectors.discounted_price_cents(pack, percent),
                    currency=pack.currency,
                    discount_percent=percent,
                    first_purchase_discount=True,
                    test_mode=test_mode,
                )
        except IntegrityError:
            logger.info("First-purchase discount already reserved for user %s", user.pk)
    return Purchase.objects.create(
        user=user,
        token_account=account,
        pack=pack,
        tokens=pack.tokens,
        amount_subtotal=pack.price_cents,
        amount_total=pack.price_cents,
        currency=pack.currency,
        test_mode=test_mode,
    )


def create_checkout_session(*, user, pack: TokenPack, base_url: str) -> CheckoutRedirect:
    """Open a checkout for one pack and return where to send the user.

    Writes: the user's token account (if missing), a Stripe Customer (first purchase), an
    `open` Purchase, and a Stripe Checkout Session (mode `payment`, metadata naming the pack,
    token account, user and purchase; idempotency key from the purchase). Without Stripe keys
    in development the URL is the local test checkout instead.
    Locks: nothing is held while Stripe is called; the discount is reserved by a constraint.
    Guarantees: the first-purchase discount is applied to at most one paid purchase per user.
    Raises `CheckoutUnavailable` (nothing charged, purchase closed) when Stripe fails.
    """
    if not pack.active:
        raise CheckoutUnavailable("That pack is no longer on sale.")
    account = get_or_open_user_account(user=user)
    local = selectors.is_local_checkout_enabled()
    if not local and not stripe_api.is_configured():
        raise CheckoutUnavailable("Purchases are not available right now.")
    if not local and not pack.stripe_price_id:
        logger.error("Pack %s has no Stripe price: run manage.py sync_stripe_catalog", pack.slug)
        raise CheckoutUnavailable("Purchases are not available right now.")

    if local:
        Purchase.objects.filter(
            user=user, first_purchase_discount=True, status=Purchase.Status.OPEN
        ).update(status=Purchase.Status.EXPIRED)
        purchase = _reserve_purchase(user=user, account=account, pack=pack, test_mode=True)
        purchase.stripe_checkout_session_id = f"cs_test_local_{secrets.token_hex(12)}"
        purchase.checkout_url = base_url + reverse(
            "billing:test_checkout", args=[purchase.public_id]
        )
        purchase.save(update_fields=["stripe_checkout_session_id", "checkout_url", "updated_at"])
        return CheckoutRedirect(purchase=purchase, url=purchase.checkout_url)

    customer = ensure_customer(user=user)
    _release_open_discount(user=user)
    purchase = _reserve_purchase(user=user, account=account, pack=pack, test_mode=False)
    metadata = {
        "pack": pack.slug,
        "token_account": str(account.pk),
        "user": str(user.pk),
        "purchase": str(purchase.public_id),
    }
    expires_at = timezone.now() + SESSION_TTL
    params = {
        "mode": "payment",
        "customer": customer.id,
        "client_reference_id": str(purchase.public_id),
        "line_items": [{"price": pack.stripe_price_id, "quantity": 1}],
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
            "We could not open the payment page. Nothing was charged; please try again."
        ) from error
    purchase.stripe_checkout_session_id = session["id"]
    purchase.checkout_url = session["url"]
    purchase.session_expires_at = expires_at
    purchase.stripe_customer_id = customer.id
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
