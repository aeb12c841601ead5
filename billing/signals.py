"""Signals other apps subscribe to (growth: referral qualification, gift clawbacks)."""

from django.dispatch import Signal

# Sent after the transaction commits, with `purchase=<Purchase>`, when a pack purchase is
# credited (Checkout, the local test checkout, an automatic top-up). Once per purchase.
purchase_paid = Signal()

# Sent after the transaction commits, with `purchase=<Purchase>` (its refund figures already
# updated: `amount_refunded`, `tokens_clawed_back`, `clawback_shortfall`), each time a refund
# of a credited purchase is applied.
purchase_refunded = Signal()
