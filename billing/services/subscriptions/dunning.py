"""A renewal whose payment failed: the subscription goes past due and its owner is told."""

from django.db import transaction

from billing.models import PlanSubscription
from billing.services.subscriptions.sync import sync_subscription


def record_payment_failed(*, invoice: dict, subscription: dict) -> PlanSubscription | None:
    """`invoice.payment_failed` for a subscription's invoice: no allowance is granted (that
    waits for `invoice.paid`, after Stripe's Smart Retries or a new card).

    Writes: the subscription's state (through `sync_subscription`: past due) and
    `last_failed_invoice_id`, claimed by conditional update so each failed invoice emails
    its owner once (with a link to update the card), however many retries fail.
    """
    row = sync_subscription(subscription=subscription,
                            test_mode=invoice.get("id", "").startswith("in_local_"))
    invoice_id = invoice.get("id") or ""
    if row is None or row.duplicate or not invoice_id:
        return row
    claimed = PlanSubscription.objects.filter(pk=row.pk).exclude(
        last_failed_invoice_id=invoice_id).update(last_failed_invoice_id=invoice_id)
    if claimed:
        from billing import tasks

        transaction.on_commit(
            lambda: tasks.send_subscription_email_task.delay(row.pk, "payment_failed"))
    row.refresh_from_db()
    return row
