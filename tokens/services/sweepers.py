"""Periodic sweepers: expire lapsed lots, release abandoned holds. Run by Celery beat."""

from datetime import datetime

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from tokens.models import EntryKind, Hold, HoldStatus, Lot, LotConsumption, TokenAccount
from tokens.services._core import lock_account, notice_low_balance, request_hash, write_entry


def expire_lots(*, now: datetime | None = None) -> int:
    """Write an `expiry` entry for every lot whose `expires_at` has passed with tokens left.

    Per account, in its own transaction: locks the account row with `skip_locked` (a busy
    account is left for the next run), then debits each lapsed lot's remainder, oldest
    expiry first. Only available tokens expire: tokens held for work in progress stay until
    the hold is captured (which uses the lapsing lot first) or released, and the next run
    expires what is left. Returns the number of expiry entries written.
    """
    now = now or timezone.now()
    lapsed = Lot.objects.filter(remaining__gt=0, expires_at__lte=now)
    written = 0
    for account_id in lapsed.values_list("account_id", flat=True).distinct().order_by():
        with transaction.atomic():
            locked = lock_account(account_id, skip_locked=True)
            if locked is None:
                continue
            balance, held, _ = locked
            before = balance - held
            for lot_id, remaining in (
                lapsed.filter(account_id=account_id)
                .order_by("expires_at", "id")
                .values_list("id", "remaining")
            ):
                take = min(remaining, balance - held)
                if take <= 0:
                    break
                balance -= take
                # The remainder strictly falls between runs, so the key is unique per debit.
                key = f"lot:{lot_id}:expiry:{remaining}"
                entry = write_entry(
                    account_id=account_id,
                    amount=-take,
                    kind=EntryKind.EXPIRY,
                    balance_after=balance,
                    key=key,
                    digest=request_hash("expiry", lot_id, remaining),
                    reference=f"lot:{lot_id}",
                    memo="Tokens expired",
                )
                Lot.objects.filter(pk=lot_id).update(remaining=F("remaining") - take)
                LotConsumption.objects.create(entry=entry, lot_id=lot_id, amount=take)
                written += 1
            TokenAccount.objects.filter(pk=account_id).update(balance=balance)
            threshold = TokenAccount.objects.values_list(
                "low_balance_threshold", flat=True).get(pk=account_id)
            notice_low_balance(account_id, before=before, after=balance - held,
                               threshold=threshold)
    return written


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Mark pending holds past `expires_at` as expired and give their tokens back.

    Per account, in its own transaction: locks the account row with `skip_locked` (busy
    accounts wait for the next run), sets the holds' status to expired and lowers `held`.
    No ledger entry: the balance never changed. Returns the number of holds expired.
    """
    now = now or timezone.now()
    overdue = Hold.objects.filter(status=HoldStatus.PENDING, expires_at__lte=now)
    released = 0
    for account_id in overdue.values_list("account_id", flat=True).distinct().order_by():
        with transaction.atomic():
            if lock_account(account_id, skip_locked=True) is None:
                continue
            mine = overdue.filter(account_id=account_id)
            total = mine.aggregate(total=Sum("amount"))["total"] or 0
            count = mine.update(status=HoldStatus.EXPIRED, resolved_at=now, reason="expired")
            TokenAccount.objects.filter(pk=account_id).update(held=F("held") - total)
            released += count
    return released
