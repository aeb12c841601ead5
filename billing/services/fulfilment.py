"""Crediting paid checkouts and clawing back refunds, exactly once whatever Stripe's order.

Both paths take a Stripe-shaped dict (the `data.object` of a signed webhook event, or the
local test checkout's equivalent). Unknown packs or accounts are logged and skipped, never
raised: a raise would make Stripe redeliver a payload that can never succeed.
"""

import logging
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from djstripe.models import Charge

from accounts.teams.models import Organization
from billing import signals
from billing.models import ChargeRefund, PackSale, Purchase, SubscriptionInvoice, TokenPack
from billing.services.locks import lock_payment
from billing.services.promotions import redeemed_promotion
from billing.services.purchase_invoices import link_invoice
from billing.services.purchase_lots import claw_back_share, grant_purchase_lots
from billing.services.subscriptions.allowances import apply_subscription_refunds
from tokens.exceptions import AccountClosed
from tokens.models import TokenAccount
from tokens.services import grant_tokens

logger = logging.getLogger(__name__)


def _lock_account(account_id: int) -> TokenAccount:
    return TokenAccount.objects.select_for_update(no_key=True).get(pk=account_id)


def _stripe_id(value) -> str:
    """Stripe sends related objects as an id or, when expanded, as an object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _resolve_target(session: dict):
    """(pack, account, user) named by the session's metadata, or None when they do not fit."""
    metadata = session.get("metadata") or {}
    pack = TokenPack.objects.filter(slug=metadata.get("pack") or "").first()
    try:
        account_id = int(metadata.get("token_account") or "")
        user_id = int(metadata.get("user") or "")
    except ValueError:
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    account_exists = TokenAccount.objects.filter(pk=account_id).exists()
    if pack is None or user is None or not account_exists:
        return None
    # The buyer's own account, or a team's pool (bought by its owner or an admin).
    if getattr(user, "token_account_id", account_id) != account_id and not (
            Organization.objects.filter(token_account_id=account_id).exists()):
        return None
    return pack, account_id, user


def _synced_charge(payment_intent_id: str) -> Charge | None:
    """The charge dj-stripe already synced for this payment, if any (for its receipt link)."""
    if not payment_intent_id:
        return None
    return Charge.objects.filter(payment_intent_id=payment_intent_id).order_by("-created").first()


def _find_purchase(session: dict) -> Purchase | None:
    purchase = (
        Purchase.objects.select_for_update()
        .filter(stripe_checkout_session_id=session["id"])
        .first()
    )
    if purchase is None:
        public_id = (session.get("metadata") or {}).get("purchase") or session.get(
            "client_reference_id"
        )
        try:
            public_uuid = uuid.UUID(str(public_id))
        except ValueError:
            return None
        purchase = Purchase.objects.select_for_update().filter(public_id=public_uuid).first()
    return purchase


def _metadata_int(session: dict, name: str) -> int | None:
    try:
        return int((session.get("metadata") or {}).get(name) or "")
    except ValueError:
        return None


def _quoted_tokens(purchase: Purchase | None, pack: TokenPack, session: dict) -> tuple[int, int]:
    """(paid, bonus) tokens as quoted when the checkout opened: from our purchase row, else
    from the session's metadata (a session opened elsewhere), else one pack, no bonus."""
    if purchase is not None:
        return purchase.tokens, purchase.bonus_tokens
    tokens = _metadata_int(session, "tokens")
    bonus = _metadata_int(session, "bonus_tokens")
    return (tokens if tokens and tokens > 0 else pack.tokens), max(bonus or 0, 0)


def fulfill_checkout(*, session: dict) -> Purchase | None:
    """Credit a paid Checkout Session's tokens to the account named in its metadata.

    Writes: one `purchase` ledger entry (a `paid` lot) with key `stripe:checkout:<session
    id>` and, when the checkout was quoted bonus tokens (a sale's, the bulk bonus), one
    `purchase_bonus` entry (a `granted` lot) with key `stripe:checkout:<session id>:bonus`
    (`purchase_lots.grant_purchase_lots`); the tokens are those quoted when the checkout
    opened (the purchase row, else the session metadata), never re-priced, so a sale that
    ended while the customer paid is honoured. The `Purchase` (created if the session was
    not opened here) moves to `paid` with Stripe's amounts and ids and the promotion code
    redeemed, if any; then any refund that arrived first is applied.
    Locks: the payment (advisory), the token account, then the purchase.
    Guarantees: a session credits at most once however often or concurrently it is
    delivered; an unpaid session (`payment_status != "paid"`) credits nothing; an unknown
    pack, user or account is logged and credits nothing. Returns the purchase, or None.
    """
    session_id = session.get("id") or ""
    if session.get("payment_status") != "paid" or not session_id:
        logger.info(
            "Checkout %s not paid (%s): nothing to credit",
            session_id,
            session.get("payment_status"),
        )
        return None
    target = _resolve_target(session)
    if target is None:
        logger.error(
            "Checkout %s names an unknown pack, user or token account (metadata %r): "
            "nothing credited; refund or credit by hand",
            session_id,
            session.get("metadata"),
        )
        return None
    pack, account_id, user = target
    payment_intent_id = _stripe_id(session.get("payment_intent"))

    with transaction.atomic():
        lock_payment(payment_intent_id)
        account = _lock_account(account_id)
        purchase = _find_purchase(session)
        if purchase is not None and purchase.is_credited:
            return purchase
        tokens, bonus_tokens = _quoted_tokens(purchase, pack, session)
        try:
            lots = grant_purchase_lots(account=account, session_id=session_id, tokens=tokens,
                                       bonus_tokens=bonus_tokens, memo=f"{pack.name} pack")
        except AccountClosed:
            logger.error(
                "Checkout %s paid for closed token account %s: nothing credited; refund it",
                session_id,
                account_id,
            )
            return None
        totals = session.get("total_details") or {}
        amount_total = session.get("amount_total")
        amount_subtotal = session.get("amount_subtotal")
        if purchase is None:
            purchase = Purchase(
                user=user,
                token_account=account,
                pack=pack,
                quantity=_metadata_int(session, "quantity") or 1,
                tokens=tokens,
                bonus_tokens=bonus_tokens,
                sale_id=PackSale.objects.filter(
                    pk=_metadata_int(session, "sale")).values_list("pk", flat=True).first(),
                currency=session.get("currency") or pack.currency,
                amount_subtotal=pack.price_cents,
                amount_total=pack.price_cents,
            )
        purchase.stripe_checkout_session_id = session_id
        if amount_subtotal is not None:
            purchase.amount_subtotal = amount_subtotal
        if amount_total is not None:
            purchase.amount_total = amount_total
        elif totals.get("amount_discount"):
            purchase.amount_total = purchase.amount_subtotal - totals["amount_discount"]
        purchase.currency = session.get("currency") or purchase.currency
        purchase.stripe_customer_id = _stripe_id(session.get("customer")) or (
            purchase.stripe_customer_id
        )
        purchase.stripe_payment_intent_id = payment_intent_id
        link_invoice(purchase, _stripe_id(session.get("invoice")))
        charge = _synced_charge(payment_intent_id)
        if charge is not None:
            purchase.stripe_charge_id = charge.id
            purchase.receipt_url = charge.receipt_url or purchase.receipt_url
        purchase.promotion_code = redeemed_promotion(session) or purchase.promotion_code
        purchase.lot_entry = lots.paid
        purchase.bonus_entry = lots.bonus
        purchase.status = Purchase.Status.PAID
        purchase.paid_at = timezone.now()
        purchase.save()
        _announce_paid(purchase)
        _apply_waiting_refunds(purchase=purchase, payment_intent_id=payment_intent_id)
    logger.info("Credited %s + %s bonus tokens for checkout %s", tokens, bonus_tokens, session_id)
    return purchase


def _announce_paid(purchase: Purchase) -> None:
    transaction.on_commit(lambda: signals.purchase_paid.send(sender=Purchase, purchase=purchase))


def _apply_waiting_refunds(*, purchase: Purchase, payment_intent_id: str) -> None:
    """Refunds that arrived before the credit are applied now (caller holds the locks)."""
    if payment_intent_id:
        waiting = ChargeRefund.objects.select_for_update().filter(
            stripe_payment_intent_id=payment_intent_id
        )
        for refund in waiting:
            _apply_refund(purchase=purchase, refund=refund)


def fulfill_payment_intent(*, intent: dict) -> Purchase | None:
    """Credit a succeeded off-session PaymentIntent of an automatic top-up.

    Writes: one `purchase` entry (a `paid` lot) through `grant_tokens` with key
    `stripe:payment_intent:<id>`, and the automatic `Purchase` moved to `paid`; then any
    refund that arrived first. Locks: the payment (advisory), the token account, the purchase.
    Guarantees: credits at most once however often the intent is reported (the API answer
    and the `payment_intent.succeeded` webhook both land here); anything but a succeeded
    intent of ours credits nothing. Returns the purchase, or None.
    """
    intent_id = intent.get("id") or ""
    metadata = intent.get("metadata") or {}
    if intent.get("status") != "succeeded" or not intent_id or \
            metadata.get("kind") != "auto_top_up":
        return None
    purchase = automatic_purchase(intent_id, metadata)
    if purchase is None:
        logger.error("Payment %s names no automatic top-up of ours (%r): nothing credited",
                     intent_id, metadata)
        return None
    with transaction.atomic():
        lock_payment(intent_id)
        account = _lock_account(purchase.token_account_id)
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        if purchase.is_credited:
            return purchase
        try:
            entry = grant_tokens(
                account=account, amount=purchase.tokens, kind="purchase", source="paid",
                idempotency_key=f"stripe:payment_intent:{intent_id}", reference=intent_id,
                memo=f"{purchase.pack.name} pack (automatic top-up)")
        except AccountClosed:
            logger.error("Payment %s paid for closed token account %s: nothing credited; "
                         "refund it", intent_id, purchase.token_account_id)
            return None
        purchase.stripe_payment_intent_id = intent_id
        purchase.amount_total = min(intent.get("amount_received") or purchase.amount_total,
                                    purchase.amount_subtotal)
        purchase.stripe_charge_id = _stripe_id(intent.get("latest_charge")) or \
            purchase.stripe_charge_id
        purchase.lot_entry = entry
        purchase.status = Purchase.Status.PAID
        purchase.paid_at = timezone.now()
        purchase.save()
        _announce_paid(purchase)
        _apply_waiting_refunds(purchase=purchase, payment_intent_id=intent_id)
    logger.info("Credited %s tokens for automatic top-up %s", purchase.tokens, intent_id)
    return purchase


def automatic_purchase(intent_id: str, metadata: dict) -> Purchase | None:
    """The automatic top-up purchase a PaymentIntent pays for (by its id, else its metadata)."""
    found = Purchase.objects.filter(stripe_payment_intent_id=intent_id, automatic=True).first()
    if found is not None:
        return found
    try:
        public_id = uuid.UUID(str(metadata.get("purchase")))
    except ValueError:
        return None
    return Purchase.objects.filter(public_id=public_id, automatic=True).first()


def _apply_refund(*, purchase: Purchase, refund: ChargeRefund) -> None:
    """Claw back the tokens matching what Stripe has refunded so far (caller holds the locks).

    Refunds are cumulative (`amount_refunded` only grows), so the tokens to take back are
    the refunded share of each lot (the paid lot and the bonus lot) minus what was already
    taken or found spent (`purchase_lots.claw_back_share`).
    """
    if refund.amount_captured <= 0 or refund.amount_refunded <= refund.applied_amount:
        return
    key = f"stripe:refund:{refund.stripe_charge_id}"
    paid = claw_back_share(lot_entry=purchase.lot_entry, tokens=purchase.tokens,
                           taken=purchase.tokens_clawed_back, short=purchase.clawback_shortfall,
                           refund=refund, key=key)
    purchase.tokens_clawed_back += paid.taken
    purchase.clawback_shortfall += paid.short
    bonus = claw_back_share(lot_entry=purchase.bonus_entry, tokens=purchase.bonus_tokens,
                            taken=purchase.bonus_clawed_back,
                            short=purchase.bonus_clawback_shortfall, refund=refund,
                            key=f"{key}:bonus")
    purchase.bonus_clawed_back += bonus.taken
    purchase.bonus_clawback_shortfall += bonus.short
    if purchase.clawback_shortfall or purchase.bonus_clawback_shortfall:
        purchase.needs_review = True
        logger.warning(
            "Refund on %s: %s paid and %s bonus tokens of purchase %s were already spent",
            refund.stripe_charge_id,
            purchase.clawback_shortfall,
            purchase.bonus_clawback_shortfall,
            purchase.pk,
        )
    fully = refund.amount_refunded >= refund.amount_captured
    purchase.status = Purchase.Status.REFUNDED if fully else Purchase.Status.PARTIALLY_REFUNDED
    purchase.amount_refunded = refund.amount_refunded
    purchase.refunded_at = timezone.now()
    purchase.stripe_charge_id = refund.stripe_charge_id
    purchase.receipt_url = refund.receipt_url or purchase.receipt_url
    purchase.save()
    refund.applied_amount = refund.amount_refunded
    refund.save(update_fields=["applied_amount", "updated_at"])
    transaction.on_commit(
        lambda: signals.purchase_refunded.send(sender=Purchase, purchase=purchase))


def refund_purchase(*, charge: dict) -> Purchase | None:
    """Record a `charge.refunded` and claw back that purchase's (or subscription invoice's)
    tokens.

    Writes: the `ChargeRefund` (Stripe's running refund total for the charge), and when its
    purchase is already credited `refund_clawback` entries through `clawback_lot` (the
    refunded share of what remains of that purchase's paid lot and of its bonus lot) and the
    purchase marked refunded — flagged
    `needs_review` when tokens were already spent. A refund that arrives before the checkout
    waits in `ChargeRefund` and is applied by `fulfill_checkout`.
    Locks: the payment (advisory), the token account, then the purchase and refund rows.
    Guarantees: repeated or reordered deliveries claw back once.
    """
    charge_id = charge.get("id") or ""
    payment_intent_id = _stripe_id(charge.get("payment_intent"))
    if not charge_id or not payment_intent_id:
        logger.warning("Refunded charge %r has no payment intent: not ours", charge_id)
        return None
    amount_captured = charge.get("amount_captured") or charge.get("amount") or 0
    amount_refunded = min(charge.get("amount_refunded") or 0, amount_captured)

    with transaction.atomic():
        lock_payment(payment_intent_id)
        purchase = Purchase.objects.filter(stripe_payment_intent_id=payment_intent_id).first()
        invoice = None if purchase is not None else SubscriptionInvoice.objects.filter(
            stripe_payment_intent_id=payment_intent_id).select_related("subscription").first()
        if purchase is not None:
            _lock_account(purchase.token_account_id)
            purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        elif invoice is not None:
            _lock_account(invoice.subscription.token_account_id)
        refund, created = ChargeRefund.objects.select_for_update().get_or_create(
            stripe_charge_id=charge_id,
            defaults={
                "stripe_payment_intent_id": payment_intent_id,
                "amount_captured": amount_captured,
                "amount_refunded": amount_refunded,
                "currency": charge.get("currency") or "",
                "receipt_url": charge.get("receipt_url") or "",
            },
        )
        if not created and amount_refunded > refund.amount_refunded:
            refund.amount_refunded = amount_refunded
            refund.receipt_url = charge.get("receipt_url") or refund.receipt_url
            refund.save()
        if invoice is not None:
            apply_subscription_refunds(record=invoice)
            return None
        if purchase is None or not purchase.is_credited:
            logger.info("Refund on %s recorded; its payment is not credited yet", charge_id)
            return purchase
        _apply_refund(purchase=purchase, refund=refund)
    return purchase


def record_charge_receipt(*, charge: dict) -> None:
    """Keep the receipt link of a succeeded charge on its purchase (for the history page).

    Writes: `Purchase.receipt_url` / `stripe_charge_id` by a plain update (no ledger effect).
    """
    payment_intent_id = _stripe_id(charge.get("payment_intent"))
    receipt_url = charge.get("receipt_url") or ""
    if not payment_intent_id or not receipt_url:
        return
    Purchase.objects.filter(stripe_payment_intent_id=payment_intent_id).update(
        receipt_url=receipt_url, stripe_charge_id=charge.get("id") or "", updated_at=timezone.now()
    )

