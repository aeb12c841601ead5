"""The ledger side of a purchase: its paid lot and its bonus lot in, the refunded share of
each back out. Called by fulfilment with the payment and account locks already held."""

from dataclasses import dataclass

from billing.models import ChargeRefund
from tokens.models import LedgerEntry, TokenAccount
from tokens.services import clawback_lot, grant_tokens


@dataclass(frozen=True)
class PurchaseLots:
    paid: LedgerEntry
    bonus: LedgerEntry | None


def grant_purchase_lots(*, account: TokenAccount, session_id: str, tokens: int,
                        bonus_tokens: int, memo: str) -> PurchaseLots:
    """Credit a paid checkout: `tokens` as a `purchase` entry (a paid lot, key
    `stripe:checkout:<session>`) and `bonus_tokens` (sale and bulk bonus), if any, as a
    `purchase_bonus` entry (a granted lot, key `stripe:checkout:<session>:bonus`).
    Both keyed, so a repeat grants nothing more; both referenced to the session, so the
    usage page describes them as that purchase. Raises AccountClosed (nothing written)."""
    paid = grant_tokens(
        account=account, amount=tokens, kind="purchase", source="paid",
        idempotency_key=f"stripe:checkout:{session_id}", reference=session_id, memo=memo)
    bonus = None
    if bonus_tokens > 0:
        bonus = grant_tokens(
            account=account, amount=bonus_tokens, kind="purchase_bonus",
            source="granted", idempotency_key=f"stripe:checkout:{session_id}:bonus",
            reference=session_id, memo=f"Bonus with {memo}")
    return PurchaseLots(paid=paid, bonus=bonus)


@dataclass(frozen=True)
class Clawback:
    taken: int  # tokens taken back now
    short: int  # tokens owed now that were already spent (or held) and could not be taken


def claw_back_share(*, lot_entry: LedgerEntry | None, tokens: int, taken: int, short: int,
                    refund: ChargeRefund, key: str) -> Clawback:
    """Take back the refunded share of one lot of `tokens`, of which `taken` were already
    taken back and `short` found spent: all of it on a full refund, else
    `tokens * refunded // captured`. Writes at most one `refund_clawback` entry (through
    `clawback_lot`, only from that lot) with key `<key>:<target>`, so redelivered refunds
    take nothing twice and a larger later refund takes only the difference."""
    if lot_entry is None or tokens <= 0 or refund.amount_captured <= 0:
        return Clawback(0, 0)
    if refund.amount_refunded >= refund.amount_captured:
        target = tokens
    else:
        target = tokens * refund.amount_refunded // refund.amount_captured
    owed = target - taken - short
    if owed <= 0:
        return Clawback(0, 0)
    entry = clawback_lot(lot_entry=lot_entry, amount=owed, idempotency_key=f"{key}:{target}",
                         reason=f"Stripe refund on {refund.stripe_charge_id}")
    got = -entry.amount if entry is not None else 0
    return Clawback(got, owed - got)
