"""Automatic top-up: buy the chosen pack with the saved card when the balance runs low.

The flow, each step exactly once:
1. `tokens.signals.available_fell_below_threshold` (after the ledger's commit, once per
   crossing) → `start_auto_top_up`, which claims the attempt by a conditional update of
   `AutoTopUp.last_attempt_at` (at most one per AUTO_TOP_UP_INTERVAL, however many triggers
   race) and writes the `open` automatic Purchase in the same transaction.
2. After the commit, `charge_auto_top_up` (Celery) creates the off-session PaymentIntent,
   keyed for Stripe by the purchase, outside any transaction.
3. The succeeded intent (from that answer or the `payment_intent.succeeded` webhook) is
   credited by `fulfill_payment_intent` (key `stripe:payment_intent:<id>`); refunds claw back
   as for any purchase. A declined or failed charge turns auto top-up off and emails the user.

Without Stripe keys in development (`make run`), a test card is saved and charged by the same
services, with nothing charged and everything labelled "test".
"""

import logging
import secrets
from datetime import timedelta

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from billing import selectors, stripe_api
from billing.models import AutoTopUp, Purchase, TokenPack
from billing.services.checkout import CheckoutUnavailable, ensure_customer
from billing.services.fulfilment import automatic_purchase, fulfill_payment_intent

logger = logging.getLogger(__name__)

AUTO_TOP_UP_INTERVAL = timedelta(hours=24)
TEST_CARD = "pm_card_test_local"


class AutoTopUpUnavailable(Exception):
    """The change cannot be made; `message` is safe to show the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def get_settings(user) -> AutoTopUp:
    return AutoTopUp.objects.get_or_create(user=user)[0]


def save_card(*, user, payment_method_id: str, card_label: str, customer_id: str = "",
              test_mode: bool = False) -> AutoTopUp:
    """Keep the card the user saved for automatic top-ups (replacing an earlier one). Writes
    the user's AutoTopUp row; turns nothing on."""
    top_up = get_settings(user)
    AutoTopUp.objects.filter(pk=top_up.pk).update(
        payment_method_id=payment_method_id, card_label=card_label[:80],
        stripe_customer_id=customer_id or top_up.stripe_customer_id, test_mode=test_mode,
        last_failure="", updated_at=timezone.now())
    top_up.refresh_from_db()
    return top_up


def configure_auto_top_up(*, user, enabled: bool, pack: TokenPack | None) -> AutoTopUp:
    """Turn automatic top-up on (with `pack`) or off. Raises AutoTopUpUnavailable, changing
    nothing, when turning it on without a saved card or an on-sale pack."""
    top_up = get_settings(user)
    if enabled and not top_up.payment_method_id:
        raise AutoTopUpUnavailable("Save a card first: automatic top-up pays with it.")
    if enabled and (pack is None or not pack.active):
        raise AutoTopUpUnavailable("Choose a pack that is on sale.")
    top_up.enabled = enabled
    top_up.pack = pack or top_up.pack
    if enabled:
        top_up.last_failure = ""
    top_up.save()
    return top_up


def open_card_setup(*, user, base_url: str) -> str:
    """Where to send the user to save a card: a Stripe Checkout Session in `setup` mode (the
    card is kept when its `checkout.session.completed` arrives). Raises CheckoutUnavailable."""
    if not stripe_api.is_configured():
        raise CheckoutUnavailable("Saving a card is not available right now.")
    customer = ensure_customer(user=user)
    try:
        session = stripe.checkout.Session.create(
            mode="setup", customer=customer.id, currency="usd",
            payment_method_types=["card"],
            success_url=f"{base_url}{reverse('billing:history')}?card=saved",
            cancel_url=f"{base_url}{reverse('billing:history')}",
            metadata={"kind": "auto_top_up_card", "user": str(user.pk)},
            api_key=stripe_api.api_key(),
            idempotency_key=f"myba-card-setup-{user.pk}-{secrets.token_hex(8)}",
        )
    except stripe.StripeError as error:
        logger.exception("Could not open the card setup for user %s", user.pk)
        raise CheckoutUnavailable(
            "We could not reach our payment provider. Please try again.") from error
    return session.url


def save_card_from_setup(*, session: dict) -> AutoTopUp | None:
    """The card of a completed setup-mode Checkout Session, kept for automatic top-ups
    (the webhook's task; Stripe is asked for the SetupIntent's payment method)."""
    metadata = session.get("metadata") or {}
    user = get_user_model().objects.filter(pk=metadata.get("user") or 0).first()
    setup_intent = session.get("setup_intent")
    if user is None or not setup_intent:
        logger.error("Setup session %s names no user or setup intent", session.get("id"))
        return None
    intent = stripe.SetupIntent.retrieve(setup_intent, expand=["payment_method"],
                                         api_key=stripe_api.api_key())
    method = intent["payment_method"]
    card = method.get("card") or {}
    label = f"{(card.get('brand') or 'card').capitalize()} •••• {card.get('last4') or '????'}"
    return save_card(user=user, payment_method_id=method["id"], card_label=label,
                     customer_id=session.get("customer") or "")


def start_auto_top_up(*, account_id: int) -> Purchase | None:
    """Claim an automatic top-up for the account's owner and write its open Purchase.

    Writes, in one transaction: `last_attempt_at` by a conditional UPDATE (enabled, a card,
    no attempt within AUTO_TOP_UP_INTERVAL — concurrent triggers: one wins, the others find
    nothing to update) and one `open`, `automatic` Purchase. Returns it, or None when nothing
    is due. The charge itself runs after the commit (`charge_auto_top_up`)."""
    now = timezone.now()
    owner = get_user_model().objects.filter(token_account_id=account_id).values_list(
        "pk", flat=True).first()
    if owner is None:
        return None
    with transaction.atomic():
        # Filtered on the row's own columns (no join, which Django would turn into a
        # subquery that PostgreSQL does not re-check after waiting for the row lock).
        claimed = AutoTopUp.objects.filter(
            Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - AUTO_TOP_UP_INTERVAL),
            user_id=owner, enabled=True,
        ).update(last_attempt_at=now)
        if not claimed:
            return None
        top_up = AutoTopUp.objects.select_related("user", "pack").get(user_id=owner)
        pack = top_up.pack
        purchase = Purchase.objects.create(
            user=top_up.user, token_account_id=account_id, pack=pack, tokens=pack.tokens,
            amount_subtotal=pack.price_cents, amount_total=pack.price_cents,
            currency=pack.currency, automatic=True, test_mode=top_up.test_mode,
            stripe_customer_id=top_up.stripe_customer_id)
        from billing.tasks import charge_auto_top_up_task

        transaction.on_commit(lambda: charge_auto_top_up_task.delay(purchase.pk))
    return purchase


def charge_auto_top_up(*, purchase_id: int) -> Purchase | None:
    """Charge an open automatic purchase off-session (outside any transaction) and credit it
    when Stripe says it succeeded; a declined or failed charge fails it (`fail_auto_top_up`).
    Stripe's idempotency key is the purchase's, so a retried task charges once."""
    purchase = Purchase.objects.select_related("pack", "user").filter(
        pk=purchase_id, automatic=True, status=Purchase.Status.OPEN).first()
    if purchase is None:
        return None
    top_up = get_settings(purchase.user)
    metadata = {"kind": "auto_top_up", "purchase": str(purchase.public_id),
                "pack": purchase.pack.slug, "token_account": str(purchase.token_account_id),
                "user": str(purchase.user_id)}
    if purchase.test_mode:
        if not selectors.is_local_checkout_enabled():
            return fail_auto_top_up(purchase=purchase, reason="Test cards only work in "
                                                              "development.")
        intent = {"id": f"pi_test_local_{secrets.token_hex(12)}", "status": "succeeded",
                  "amount_received": purchase.amount_total, "metadata": metadata}
        return fulfill_payment_intent(intent=intent)
    try:
        intent = stripe.PaymentIntent.create(
            amount=purchase.amount_total, currency=purchase.currency,
            customer=top_up.stripe_customer_id, payment_method=top_up.payment_method_id,
            off_session=True, confirm=True, metadata=metadata,
            description=f"MyBA automatic top-up: {purchase.pack.name} pack",
            api_key=stripe_api.api_key(),
            idempotency_key=f"myba-auto-top-up-{purchase.public_id}",
        )
    except stripe.CardError as error:
        return fail_auto_top_up(purchase=purchase, reason=error.user_message or
                                "Your card was declined.")
    Purchase.objects.filter(pk=purchase.pk, stripe_payment_intent_id="").update(
        stripe_payment_intent_id=intent["id"])
    if intent["status"] == "succeeded":
        return fulfill_payment_intent(intent=intent)
    if intent["status"] in ("requires_action", "requires_payment_method", "canceled"):
        return fail_auto_top_up(purchase=purchase, reason="Your bank asked to confirm the "
                                "payment, which cannot be done automatically.")
    return purchase  # processing: the webhook settles it


def fail_auto_top_up(*, purchase: Purchase, reason: str) -> Purchase:
    """A charge that failed: the purchase `failed` (if still open), automatic top-up turned
    off with the reason, and one email to the user after the commit."""
    with transaction.atomic():
        failed = Purchase.objects.filter(pk=purchase.pk, status=Purchase.Status.OPEN).update(
            status=Purchase.Status.FAILED, updated_at=timezone.now())
        AutoTopUp.objects.filter(user_id=purchase.user_id).update(
            enabled=False, last_failure=reason[:300], updated_at=timezone.now())
        if failed:
            transaction.on_commit(lambda: _email_failure(purchase, reason))
    purchase.refresh_from_db()
    return purchase


def fail_payment_intent(*, intent: dict) -> Purchase | None:
    """`payment_intent.payment_failed` for an automatic top-up of ours."""
    metadata = intent.get("metadata") or {}
    if metadata.get("kind") != "auto_top_up":
        return None
    purchase = automatic_purchase(intent.get("id") or "", metadata)
    if purchase is None:
        return None
    error = intent.get("last_payment_error") or {}
    return fail_auto_top_up(purchase=purchase,
                            reason=error.get("message") or "The payment failed.")


def _email_failure(purchase: Purchase, reason: str) -> None:
    # Plain text and HTML, sent by the caller's task after the commit (never in a transaction).
    context = {"purchase": purchase, "reason": reason, "site_name": settings.SITE_NAME,
               "billing_url": settings.SITE_URL + reverse("billing:history")}
    message = EmailMultiAlternatives(
        subject="Your MyBA automatic top-up failed",
        body=render_to_string("billing/email/auto_top_up_failed.txt", context),
        to=[purchase.user.email])
    message.attach_alternative(
        render_to_string("billing/email/auto_top_up_failed.html", context), "text/html")
    message.send()
