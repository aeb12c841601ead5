"""Failed webhook processing is visible and recovered: by the beat task with backoff, or
by staff from the admin."""

from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from djstripe.models import WebhookEventTrigger

from billing.models import Purchase, WebhookRetry
from billing.services import create_checkout_session
from billing.services.webhooks import retry_failed_webhooks
from billing.tasks import retry_failed_webhooks_task
from tests.admin_dashboard.conftest import make_staff
from tests.billing.conftest import Webhooks


def balance_of(user) -> int:
    user.refresh_from_db()
    account = user.token_account
    account.refresh_from_db()
    return account.balance


def failed_delivery(fake_stripe, synced_catalog, buyer, webhook_endpoint):
    """A paid session whose webhook hit a Stripe outage while dj-stripe re-fetched it."""
    purchase = create_checkout_session(
        user=buyer, pack=synced_catalog["professional"], base_url="https://myba.example"
    ).purchase
    session = fake_stripe.complete_session(purchase.stripe_checkout_session_id)
    fake_stripe.failing.add("/v1/checkout/sessions/")
    sender = Webhooks(Client(raise_request_exception=False), webhook_endpoint)
    response = sender.post(fake_stripe.event("checkout.session.completed", session))
    assert response.status_code == 500  # Stripe will redeliver; we retry sooner
    trigger = WebhookEventTrigger.objects.get()
    assert (trigger.valid, trigger.processed) == (True, False)
    assert trigger.traceback
    return trigger


def test_failed_webhook_is_retried_with_backoff_until_it_succeeds(
    fake_stripe, synced_catalog, buyer, webhook_endpoint
):
    trigger = failed_delivery(fake_stripe, synced_catalog, buyer, webhook_endpoint)
    assert balance_of(buyer) == 0
    now = timezone.now()

    assert retry_failed_webhooks(now=now) == 0  # not due yet: first retry after a minute
    retry = WebhookRetry.objects.get(trigger=trigger)
    assert retry.attempts == 0

    assert retry_failed_webhooks(now=now + timedelta(minutes=2)) == 0  # Stripe still down
    retry.refresh_from_db()
    assert retry.attempts == 1
    assert retry.next_attempt_at >= now + timedelta(minutes=3)  # backed off
    assert retry_failed_webhooks(now=now + timedelta(minutes=3)) == 0  # not due again yet

    fake_stripe.failing.clear()
    assert retry_failed_webhooks(now=now + timedelta(minutes=10)) == 1

    trigger.refresh_from_db()
    assert trigger.processed is True
    retry.refresh_from_db()
    assert retry.resolved_at is not None
    assert balance_of(buyer) == 50
    assert Purchase.objects.get().status == Purchase.Status.PAID
    assert retry_failed_webhooks(now=now + timedelta(hours=1)) == 0  # nothing left
    call_command("ledger_audit")


def test_the_beat_task_runs_the_retries(fake_stripe, synced_catalog, buyer, webhook_endpoint):
    trigger = failed_delivery(fake_stripe, synced_catalog, buyer, webhook_endpoint)
    fake_stripe.failing.clear()
    WebhookRetry.objects.create(trigger=trigger, next_attempt_at=timezone.now())

    assert retry_failed_webhooks_task.apply().get() == 1
    assert balance_of(buyer) == 50


def test_staff_retry_a_failed_webhook_from_the_admin(
    client, fake_stripe, synced_catalog, buyer, webhook_endpoint
):
    trigger = failed_delivery(fake_stripe, synced_catalog, buyer, webhook_endpoint)
    fake_stripe.failing.clear()
    staff = make_staff(is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:djstripe_webhookeventtrigger_changelist")

    response = client.post(
        url, {"action": "retry_processing", "_selected_action": [trigger.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "1 processed, 0 failed again" in response.content.decode()
    trigger.refresh_from_db()
    assert trigger.processed is True
    assert balance_of(buyer) == 50
    assert Purchase.objects.get().status == Purchase.Status.PAID
    call_command("ledger_audit")
