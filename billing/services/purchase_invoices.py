"""The Stripe invoice of a one-off purchase (Checkout `invoice_creation`): its links, for the
billing page, whichever of the checkout and the invoice's own events arrives first."""

from django.utils import timezone
from djstripe.models import Invoice

from billing.models import Purchase


def link_invoice(purchase: Purchase, invoice_id: str) -> None:
    """The purchase's invoice, with its links when dj-stripe already synced it (its own
    `invoice.finalized`/`invoice.paid` fill them in otherwise: `record_purchase_invoice`)."""
    if not invoice_id:
        return
    purchase.stripe_invoice_id = invoice_id
    synced = Invoice.objects.filter(id=invoice_id).values_list("stripe_data", flat=True).first()
    if synced:
        purchase.hosted_invoice_url = synced.get("hosted_invoice_url") or \
            purchase.hosted_invoice_url
        purchase.invoice_pdf = synced.get("invoice_pdf") or purchase.invoice_pdf


def record_purchase_invoice(*, invoice: dict) -> int:
    """Keep the links of a one-off purchase's invoice on its purchase (the billing page shows
    them). Writes `Purchase.hosted_invoice_url` / `invoice_pdf` by a plain update (no ledger
    effect); an invoice that arrives before its checkout is credited is linked by
    `fulfill_checkout`. Returns the purchases updated (0 for invoices that are not ours)."""
    invoice_id = invoice.get("id") or ""
    links = {"hosted_invoice_url": invoice.get("hosted_invoice_url") or "",
             "invoice_pdf": invoice.get("invoice_pdf") or ""}
    if not invoice_id or not any(links.values()):
        return 0
    return Purchase.objects.filter(stripe_invoice_id=invoice_id).update(
        **links, updated_at=timezone.now())
