"""Sending, delivering and returning gifts. Every movement goes through the ledger's
`transfer_tokens` under a key of the gift's, so each happens once."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.languages import in_language_of
from accounts.services import get_or_open_user_account
from gifts import selectors
from gifts.models import Gift
from tokens.exceptions import AccountClosed, InsufficientTokens
from tokens.models import EntryKind, LedgerEntry, LotConsumption, TokenAccount
from tokens.services import adjust_tokens, open_account, transfer_tokens

logger = logging.getLogger(__name__)


class GiftRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _lock_accounts(*account_ids: int) -> None:
    """Lock token accounts in primary-key order (as the ledger does), so two people sending
    each other gifts at once cannot deadlock."""
    list(TokenAccount.objects.select_for_update(no_key=True).filter(
        pk__in=set(account_ids)).order_by("pk").values_list("pk", flat=True))


def _check(sender, email: str, tokens: int, now: datetime) -> None:
    refusal = selectors.sending_refusal(sender, now=now)
    if refusal:
        raise GiftRefused(refusal)
    if not settings.GIFT_MIN_TOKENS <= tokens <= settings.GIFT_MAX_TOKENS:
        raise GiftRefused(_("A gift is %(low)s to %(high)s tokens.") % {
            "low": settings.GIFT_MIN_TOKENS, "high": settings.GIFT_MAX_TOKENS})
    if sender.emailaddress_set.filter(email__iexact=email).exists() or \
            sender.email.lower() == email:
        raise GiftRefused(_("You cannot send a gift to yourself."))


def send_gift(*, sender, email: str, tokens: int, message: str, request_key,
              now: datetime | None = None) -> Gift:
    """Send `tokens` of the sender's available tokens to `email`.

    Writes: the gift, its escrow account and the transfer into it (key `gift:<id>:send`, the
    sender's lots consumed in the ledger's usual order); when `email` is a verified user's,
    the delivery too (`gift:<id>:deliver`). Locks the sender's and the recipient's token
    accounts (primary-key order) first; the per-day limit is counted under that lock. The
    recipient is emailed after the commit. Guarantees: one gift per `request_key` (a
    resent form returns the first gift); nothing is written when refused. Raises GiftRefused
    with the reason to show.
    """
    now = now or timezone.now()
    email = email.strip().lower()
    _check(sender, email, tokens, now)
    account = get_or_open_user_account(user=sender)
    recipient = selectors.verified_owner(email)
    recipient_account = get_or_open_user_account(user=recipient) if recipient else None
    with transaction.atomic():
        _lock_accounts(account.pk, *([recipient_account.pk] if recipient_account else []))
        existing = Gift.objects.filter(request_key=request_key).first()
        if existing is not None:
            if existing.sender_id != sender.pk:
                raise GiftRefused(_("This form was already used. Reload the page and try "
                                    "again."))
            return existing
        if selectors.sent_in_last_day(sender, now=now) >= settings.GIFT_DAILY_LIMIT:
            raise GiftRefused(ngettext(
                "You can send at most %(limit)s gift in 24 hours. Try again later.",
                "You can send at most %(limit)s gifts in 24 hours. Try again later.",
                settings.GIFT_DAILY_LIMIT) % {"limit": settings.GIFT_DAILY_LIMIT})
        escrow = open_account(label="gift escrow")
        gift = Gift.objects.create(
            sender=sender, recipient_email=email, tokens=tokens, message=message.strip(),
            escrow_account=escrow, request_key=request_key,
            return_due_at=now + timedelta(days=settings.GIFT_RETURN_DAYS))
        TokenAccount.objects.filter(pk=escrow.pk).update(label=f"gift:{gift.pk} escrow")
        try:
            transfer_tokens(source=account, destination=escrow, amount=tokens,
                            idempotency_key=f"gift:{gift.pk}:send")
        except InsufficientTokens as error:
            raise GiftRefused(ngettext(
                "You have %(available)s token available: not enough for a gift of %(tokens)s.",
                "You have %(available)s tokens available: not enough for a gift of %(tokens)s.",
                error.available) % {"available": error.available, "tokens": tokens}) from None
        if recipient is not None:
            _deliver(gift, recipient, recipient_account, now)
    transaction.on_commit(lambda: _email_recipient(gift.pk))
    return gift


def _deliver(gift: Gift, recipient, account: TokenAccount, now: datetime) -> None:
    """Move the escrowed tokens to the recipient (caller holds the gift's lock)."""
    transfer_tokens(source=gift.escrow_account, destination=account, amount=gift.tokens,
                    idempotency_key=f"gift:{gift.pk}:deliver", kind_in=EntryKind.GIFT)
    gift.status, gift.recipient, gift.delivered_at = Gift.Status.DELIVERED, recipient, now
    gift.save(update_fields=["status", "recipient", "delivered_at"])


def deliver_waiting_gifts(*, user, email: str, now: datetime | None = None) -> int:
    """Deliver every gift waiting for `email` to `user`, who has just verified it.

    Each gift in its own transaction: its row locked, still waiting, then the transfer (key
    `gift:<id>:deliver`). Guarantees: delivered once however many confirmations race.
    Returns how many were delivered.
    """
    now = now or timezone.now()
    if user.growth_flagged_at is not None:
        return 0
    account = get_or_open_user_account(user=user)
    delivered = 0
    for gift_id in selectors.waiting_for(email).values_list("pk", flat=True):
        with transaction.atomic():
            gift = Gift.objects.select_for_update().filter(
                pk=gift_id, status=Gift.Status.WAITING).select_related("escrow_account").first()
            if gift is None or gift.sender_id == user.pk:
                continue
            _deliver(gift, user, account, now)
            delivered += 1
    return delivered


def return_unclaimed_gifts(*, now: datetime | None = None) -> int:
    """Give back to their senders the gifts still waiting after GIFT_RETURN_DAYS (beat).

    Each gift in its own transaction: its row locked, still waiting, then the transfer back
    (key `gift:<id>:return`); the sender is emailed after the commit. Guarantees: returned
    once however many runs overlap; a closed sender's gift stays waiting (logged).
    """
    now = now or timezone.now()
    returned = 0
    due = Gift.objects.filter(status=Gift.Status.WAITING, return_due_at__lte=now)
    for gift_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            gift = Gift.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                pk=gift_id, status=Gift.Status.WAITING).select_related(
                "escrow_account", "sender__token_account").first()
            if gift is None:
                continue
            try:
                transfer_tokens(source=gift.escrow_account,
                                destination=gift.sender.token_account, amount=gift.tokens,
                                idempotency_key=f"gift:{gift.pk}:return")
            except AccountClosed:
                logger.warning("Gift %s cannot go back to a closed account", gift.pk)
                continue
            gift.status, gift.returned_at = Gift.Status.RETURNED, now
            gift.save(update_fields=["status", "returned_at"])
            transaction.on_commit(lambda pk=gift.pk: _email_sender_returned(pk))
            returned += 1
    return returned


def recover_gifted_refund(*, purchase) -> int:
    """A refund of `purchase` found tokens of its paid lot gone; those the buyer gave away as
    gifts are taken back from the buyer's other available tokens (an `adjustment` debit, key
    `gift-refund:<purchase>:<amount refunded>`). What cannot be recovered stays with the
    purchase's `needs_review` flag, as for spent tokens. Locks the buyer's token account.
    Returns the tokens recovered now.
    """
    if not purchase.clawback_shortfall or purchase.lot_entry_id is None:
        return 0
    gifted = LotConsumption.objects.filter(
        lot__entry_id=purchase.lot_entry_id, entry__idempotency_key__startswith="gift:",
        entry__idempotency_key__endswith=":send").aggregate(total=Sum("amount"))["total"] or 0
    prefix = f"gift-refund:{purchase.pk}:"
    key = f"{prefix}{purchase.amount_refunded}"
    with transaction.atomic():
        account = TokenAccount.objects.select_for_update(no_key=True).get(
            pk=purchase.token_account_id)
        earlier = LedgerEntry.objects.filter(idempotency_key__startswith=prefix)
        if earlier.filter(idempotency_key=key).exists():
            return 0
        recovered = -(earlier.aggregate(total=Sum("amount"))["total"] or 0)
        owed = min(purchase.clawback_shortfall, gifted) - recovered
        amount = min(owed, account.balance - account.held)
        if amount <= 0:
            return 0
        adjust_tokens(account=account, amount=-amount, actor=None, idempotency_key=key,
                      reason="Refunded purchase: tokens of it given away as gifts")
    logger.info("Refund of purchase %s: %s gifted tokens recovered from the buyer",
                purchase.pk, amount)
    return amount


def _site_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _email_recipient(gift_id: int) -> None:
    gift = Gift.objects.select_related("sender", "recipient").get(pk=gift_id)
    context = {"gift": gift, "url": _site_url(
        reverse("gifts:gifts") if gift.status == Gift.Status.DELIVERED
        else reverse("account_signup"))}
    # In the recipient's language; an address without an account gets the sender's.
    with in_language_of(gift.recipient or gift.sender):
        subject = ngettext("%(sender)s sent you %(count)s MyBA token",
                           "%(sender)s sent you %(count)s MyBA tokens",
                           gift.tokens) % {"sender": gift.sender.email, "count": gift.tokens}
        body = render_to_string("gifts/email/received.txt", context)
    send_mail(subject, body, None, [gift.recipient_email])


def _email_sender_returned(gift_id: int) -> None:
    gift = Gift.objects.select_related("sender").get(pk=gift_id)
    with in_language_of(gift.sender):
        subject = ngettext("Your gift of %(count)s token came back",
                           "Your gift of %(count)s tokens came back",
                           gift.tokens) % {"count": gift.tokens}
        body = render_to_string("gifts/email/returned.txt",
                                {"gift": gift, "url": _site_url(reverse("gifts:gifts"))})
    send_mail(subject, body, None, [gift.sender.email])
