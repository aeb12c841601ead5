"""Automatic top-up: buy the chosen pack with the saved card when the balance runs low.

The flow, each step exactly once:
1. `tokens.signals.available_fell_below_threshold` (after the ledger's commit, once per
   crossing; or turning it on while already low) → `start_auto_top_up`, which claims the
   attempt by a conditional update of `AutoTopUp.last_attempt_at` (at most one per
   AUTO_TOP_UP_INTERVAL, however many triggers race) and writes the `open` automatic
   Purchase — the attempt record — in the same transaction.
2. After the commit, `charge_auto_top_up` (Celery) creates the off-session PaymentIntent,
   keyed for Stripe by the purchase (`myba-auto-top-up-<purchase>`), outside any transaction.
3. The succeeded intent (from that answer or the `payment_intent.succeeded` webhook) is
   credited by `fulfill_payment_intent` (key `stripe:payment_intent:<id>`); refunds claw back
   as for any purchase. A declined or failed charge turns auto top-up off and emails the user
   once (`send_auto_top_up_failed_email`, in a Celery task after the commit).

Without Stripe keys in development (`make run`), a test card is saved and charged by the same
services, with nothing charged and everything labelled "test".
"""

import logging
import secrets
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.languages import in_language_of
from billing import selectors, stripe_api
from billing.models import AUTO_TOP_UP_INTERVAL, AutoTopUp, Purchase, TokenPack
from billing.services.checkout import CheckoutUnavailable, ensure_customer
from billing.services.fulfilment import automatic_purchase, fulfill_payment_intent

logger = logging.getLogger(__name__)

TEST_CARD = "pm_card_test_local"


class AutoTopUpUnavailable(Exception):
    """The change cannot be made; `message` is safe to show the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def get_settings(user) -> AutoTopUp:
    """The user's AutoTopUp row, written (off) if they have none yet."""
    return AutoTopUp.objects.get_or_create(user=user)[0]


def save_card(*, user, payment_method_id: str, card_label: str, customer_id: str = "",
              test_mode: bool = False) -> AutoTopUp:
    """Keep the card the user saved for automatic top-ups (replacing an earlier one). Writes
    the user's AutoTopUp row; turns nothing on."""
    top_up = get_settings(user)
    AutoTopUp.objects.filter(pk=top_up.pk).update(
        payment_method_id=payment_method_id, card_label=card_label[:80],
        stripe_customer_id=customer_id or top_up.stripe_customer_id, test_mode=test_mode,
        updated_at=timezone.now())
    top_up.refresh_from_db()
    return top_up


@dataclass(frozen=True)
class AutoTopUpChange:
    top_up: AutoTopUp
    # Turned on while already below the alert level: the first top-up was started with it.
    buying_now: bool = False


def configure_auto_top_up(*, user, enabled: bool, pack: TokenPack | None) -> AutoTopUpChange:
    """Turn automatic top-up on (with `pack`) or off.

    Writes the user's AutoTopUp row (locked for the change). Turning it on while the balance
    is already below the alert level also starts a top-up after the commit (if one is due:
    the once-a-day claim still decides), so a user who is low now is not left waiting for a
    crossing that already happened. Raises AutoTopUpUnavailable, changing nothing, when
    turning it on without a saved card or an on-sale pack."""
    if enabled and (pack is None or not pack.active):
        raise AutoTopUpUnavailable(_("Choose a pack that is on sale."))
    with transaction.atomic():
        top_up = AutoTopUp.objects.select_for_update().get(pk=get_settings(user).pk)
        if enabled and not top_up.payment_method_id:
            raise AutoTopUpUnavailable(_("Save a card first: automatic top-up pays with it."))
        turned_on = enabled and not top_up.enabled
        top_up.enabled = enabled
        top_up.pack = pack or top_up.pack
        top_up.save()
        account_id = user.token_account_id
        buying_now = (turned_on and account_id is not None and _is_due(top_up, timezone.now())
                      and selectors.is_account_low(account_id))
        if buying_now:
            from billing.tasks import start_auto_top_up_task

            transaction.on_commit(lambda: start_auto_top_up_task.delay(account_id))
    return AutoTopUpChange(top_up=top_up, buying_now=buying_now)


def _is_due(top_up: AutoTopUp, now) -> bool:
    return top_up.last_attempt_at is None or \
        top_up.last_attempt_at <= now - AUTO_TOP_UP_INTERVAL


def open_card_setup(*, user, base_url: str) -> str:
    """Where to send the user to save a card: a Stripe Checkout Session in `setup` mode (the
    card is kept when its `checkout.session.completed` arrives). Raises CheckoutUnavailable."""
    if not stripe_api.is_configured():
        raise CheckoutUnavailable(_("Saving a card is not available right now."))
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
            _("We could not reach our payment provider. Please try again.")) from error
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

    Writes, in one transaction: `last_attempt_at` by a conditional UPDATE (enabled, no
    attempt within AUTO_TOP_UP_INTERVAL — concurrent triggers: one wins, the others find
    nothing to update) and one `open`, `automatic` Purchase (the attempt record whose id keys
    the Stripe charge). Returns it, or None when nothing is due: turned off, no longer below
    the alert level (a trigger that waited in the queue while the user bought tokens), or the
    chosen pack is off sale (which turns it off and tells the user). The charge itself runs
    after the commit (`charge_auto_top_up`), never inside this transaction."""
    now = timezone.now()
    top_up = AutoTopUp.objects.select_related("pack").filter(
        user__token_account_id=account_id, user__is_active=True, enabled=True).first()
    if top_up is None or not _is_due(top_up, now) or not selectors.is_account_low(account_id):
        return None
    if not top_up.pack.active:
        _turn_off(user_id=top_up.user_id,
                  reason=f"The {top_up.pack.name} pack is no longer on sale. Choose another "
                         "pack to turn automatic top-up on again.")
        return None
    with transaction.atomic():
        # Filtered on the row's own columns (no join, which Django would turn into a
        # subquery that PostgreSQL does not re-check after waiting for the row lock).
        claimed = AutoTopUp.objects.filter(
            Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - AUTO_TOP_UP_INTERVAL),
            pk=top_up.pk, enabled=True,
        ).update(last_attempt_at=now)
        if not claimed:
            return None
        top_up = AutoTopUp.objects.select_related("user", "pack").get(pk=top_up.pk)
        pack = top_up.pack
        purchase = Purchase.objects.create(
            user=top_up.user, token_account_id=account_id, pack=pack, tokens=pack.tokens,
            amount_subtotal=pack.price_cents, amount_total=pack.price_cents,
            currency=pack.currency, automatic=True, test_mode=top_up.test_mode,
            stripe_customer_id=top_up.stripe_customer_id)
        from billing.tasks import charge_auto_top_up_task

        transaction.on_commit(lambda: charge_auto_top_up_task.delay(purchase.pk))
    return purchase


def _metadata(purchase: Purchase) -> dict:
    return {"kind": "auto_top_up", "purchase": str(purchase.public_id),
            "pack": purchase.pack.slug, "token_account": str(purchase.token_account_id),
            "user": str(purchase.user_id)}


def charge_auto_top_up(*, purchase_id: int) -> Purchase | None:
    """Charge an open automatic purchase off-session and credit it when Stripe says it
    succeeded; a refused charge fails it (`fail_auto_top_up`).

    Calls Stripe outside any transaction, with the purchase's idempotency key
    (`myba-auto-top-up-<purchase>`), so a retried or repeated task creates one charge. Writes
    the PaymentIntent id on the purchase, then what `fulfill_payment_intent` or
    `fail_auto_top_up` writes. An intent still `processing` is left to its webhook. In the
    local test mode nothing is sent to Stripe: a succeeded intent is simulated."""
    purchase = Purchase.objects.select_related("pack", "user").filter(
        pk=purchase_id, automatic=True, status=Purchase.Status.OPEN).first()
    if purchase is None:
        return None
    top_up = get_settings(purchase.user)
    if purchase.test_mode:
        if not selectors.is_local_checkout_enabled():
            return fail_auto_top_up(purchase=purchase,
                                    reason="Test cards only work in development.")
        return fulfill_payment_intent(intent={
            "id": f"pi_test_local_{purchase.public_id.hex}", "status": "succeeded",
            "amount_received": purchase.amount_total, "metadata": _metadata(purchase)})
    try:
        intent = stripe.PaymentIntent.create(
            amount=purchase.amount_total, currency=purchase.currency,
            customer=top_up.stripe_customer_id, payment_method=top_up.payment_method_id,
            off_session=True, confirm=True, metadata=_metadata(purchase),
            description=f"MyBA automatic top-up: {purchase.pack.name} pack",
            api_key=stripe_api.api_key(),
            idempotency_key=f"myba-auto-top-up-{purchase.public_id}",
        )
    except stripe.CardError as error:
        # Stripe keeps the failed intent; its id lets staff (and its webhook) find the purchase.
        _keep_intent_id(purchase, getattr(error.error, "payment_intent", None))
        return fail_auto_top_up(purchase=purchase, reason=_failure_reason(
            error.code, error.user_message))
    except (stripe.IdempotencyError, stripe.APIError) as error:
        if isinstance(error, stripe.APIError) and error.http_status != 409:
            raise  # Stripe's 5xx: the task fails; a charge that was made is settled by webhook
        # 409: this charge is still in flight from a duplicated delivery of the task (the SDK
        # already waited and asked again); a 400 idempotency error: it was made with other
        # details (the card replaced between retries). Either way that request and its
        # webhook settle the purchase; a second charge is never attempted.
        logger.warning("Automatic top-up %s is already being charged: %s", purchase.pk, error)
        return purchase
    except stripe.InvalidRequestError:
        # The saved card or customer is gone on Stripe's side (detached, deleted): retrying
        # cannot help. Connection errors and Stripe's 5xx raise for the task to retry.
        logger.exception("Stripe refused automatic top-up %s", purchase.pk)
        return fail_auto_top_up(purchase=purchase, reason="Your saved card can no longer be "
                                "used. Save a card again to turn automatic top-up back on.")
    _keep_intent_id(purchase, intent)
    if intent["status"] == "succeeded":
        return fulfill_payment_intent(intent=intent)
    if intent["status"] in ("requires_action", "requires_payment_method", "canceled"):
        return fail_auto_top_up(purchase=purchase, reason=_failure_reason(
            "authentication_required" if intent["status"] == "requires_action" else "", ""))
    return purchase  # processing: the webhook settles it


def _keep_intent_id(purchase: Purchase, intent) -> None:
    intent_id = intent["id"] if intent is not None else ""
    if intent_id:
        Purchase.objects.filter(pk=purchase.pk, stripe_payment_intent_id="").update(
            stripe_payment_intent_id=intent_id, updated_at=timezone.now())


def _failure_reason(code: str | None, message: str | None) -> str:
    """Why a charge failed, as a sentence the user reads (on the page and in the email)."""
    if code == "authentication_required":
        return ("Your bank asked to confirm the payment, which cannot be done while you are "
                "away.")
    return (message or "").strip() or "Your card was declined."


def fail_auto_top_up(*, purchase: Purchase, reason: str) -> Purchase:
    """A charge that failed.

    Writes, in one transaction: the purchase `failed` by a conditional update (only an `open`
    one), and then — only for that change, so a repeated failure report does nothing, even
    after the user turned it back on — automatic top-up off with `last_failure = reason`,
    and one email to the user after the commit (a Celery task)."""
    with transaction.atomic():
        failed = Purchase.objects.filter(pk=purchase.pk, status=Purchase.Status.OPEN).update(
            status=Purchase.Status.FAILED, updated_at=timezone.now())
        if failed:
            _turn_off(user_id=purchase.user_id, reason=reason, always_email=True)
    purchase.refresh_from_db()
    return purchase


def _turn_off(*, user_id: int, reason: str, always_email: bool = False) -> None:
    """Automatic top-up off with why (`last_failure`); the user is emailed after the commit
    when this turned it off or, `always_email`, when a charge failed whatever its state (the
    user may have turned it off meanwhile, but should still hear their payment failed)."""
    now = timezone.now()
    failure = {"last_failure": reason[:300], "last_failure_at": now,
               "failure_emailed_at": None, "updated_at": now}
    turned_off = AutoTopUp.objects.filter(user_id=user_id, enabled=True).update(
        enabled=False, **failure)
    if not turned_off and always_email:
        AutoTopUp.objects.filter(user_id=user_id).update(**failure)
    if turned_off or always_email:
        from billing.tasks import send_auto_top_up_failed_email_task

        transaction.on_commit(lambda: send_auto_top_up_failed_email_task.delay(user_id))


def fail_payment_intent(*, intent: dict) -> Purchase | None:
    """`payment_intent.payment_failed` for an automatic top-up of ours: as `fail_auto_top_up`
    (a purchase already failed or paid changes nothing)."""
    metadata = intent.get("metadata") or {}
    if metadata.get("kind") != "auto_top_up":
        return None
    purchase = automatic_purchase(intent.get("id") or "", metadata)
    if purchase is None:
        return None
    error = intent.get("last_payment_error") or {}
    return fail_auto_top_up(purchase=purchase,
                            reason=_failure_reason(error.get("code"), error.get("message")))


def send_auto_top_up_failed_email(*, user_id: int) -> bool:
    """Tell the user their automatic top-up failed and is off: one email (text and HTML) per
    failure, claimed by a conditional update of `failure_emailed_at` (a redelivered task
    sends nothing) and given back if sending raises (the task retries).

    The one place that decides how this is told: switch it to the accounts notification
    preferences here. Runs in a Celery task after the commit, never inside a transaction.
    Returns whether an email was sent (none to an inactive user or one without an address).
    """
    claimed = AutoTopUp.objects.filter(
        user_id=user_id, last_failure_at__isnull=False, failure_emailed_at__isnull=True,
    ).update(failure_emailed_at=timezone.now())
    top_up = AutoTopUp.objects.select_related("user", "pack").filter(user_id=user_id).first()
    if not claimed or not top_up.user.is_active or not top_up.user.email:
        return False
    context = {"top_up": top_up, "reason": top_up.last_failure, "site_name": settings.SITE_NAME,
               "billing_url": settings.SITE_URL + reverse("billing:history")}
    with in_language_of(top_up.user):
        message = EmailMultiAlternatives(
            subject=_("Your %(site)s automatic top-up failed") % {"site": settings.SITE_NAME},
            body=render_to_string("billing/email/auto_top_up_failed.txt", context),
            to=[top_up.user.email])
        message.attach_alternative(
            render_to_string("billing/email/auto_top_up_failed.html", context), "text/html")
    try:
        message.send()
    except OSError:
        AutoTopUp.objects.filter(pk=top_up.pk).update(failure_emailed_at=None)
        raise
    return True
