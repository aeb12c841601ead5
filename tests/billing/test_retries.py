"""Failed webhook processing is visible and recovered, by one owner (`retry_webhook`): the
beat poller with backoff, or staff from the admin or the dashboard (audit-logged), never two
callers processing the same delivery at once."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from djstripe.models import WebhookEventTrigger

from accounts.models import StaffAction
from billing.models import Purchase, WebhookRetry
from billing.services import RetryOutcome, create_checkout_session, retry_webhook
from billing.services.webhooks import retry_failed_webhooks
from billing.tasks import retry_failed_webhooks_task
from tests.billing.stripe_fake import Webhooks
from tests.builders import make_staff
from tests.helpers import assert_ledger_healthy, race, user_balance
from tokens.models import LedgerEntry


@pytest.fixture
def trigger(fake_stripe, synced_catalog, buyer, webhook_endpoint):
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
    trigger, fake_stripe, buyer
):
    assert user_balance(buyer) == 0
    now = timezone.now()

    assert retry_failed_webhooks(now=now) == 0  # not due yet: first retry after a minute
    retry = WebhookRetry.objects.get(trigger=trigger)
    assert retry.attempts == 0

    assert retry_failed_webhooks(now=now + timedelta(minutes=2)) == 0  # Stripe still down
    retry.refresh_from_db()
    assert retry.attempts == 1
    assert retry.next_attempt_at >= now + timedelta(minutes=3)  # backed off
    assert retry.claimed_until is None  # the lease is released after each try
    assert retry_failed_webhooks(now=now + timedelta(minutes=3)) == 0  # not due again yet

    fake_stripe.failing.clear()
    assert retry_failed_webhooks(now=now + timedelta(minutes=10)) == 1

    trigger.refresh_from_db()
    assert trigger.processed is True
    retry.refresh_from_db()
    assert retry.resolved_at is not None
    assert user_balance(buyer) == 50
    assert Purchase.objects.get().status == Purchase.Status.PAID
    assert retry_failed_webhooks(now=now + timedelta(hours=1)) == 0  # nothing left
    assert not StaffAction.objects.exists()  # nobody asked: no audit row
    assert_ledger_healthy()


def test_the_poller_leaves_a_claimed_delivery_alone_until_its_lease_expires(
    trigger, fake_stripe, buyer
):
    fake_stripe.failing.clear()
    now = timezone.now()
    # A caller claimed it and died (a killed worker): its lease is still running.
    WebhookRetry.objects.create(trigger=trigger, next_attempt_at=now,
                                claimed_until=now + timedelta(minutes=5))

    assert retry_webhook(trigger_id=trigger.pk, now=now) == RetryOutcome.BUSY
    assert retry_failed_webhooks(now=now) == 0
    assert user_balance(buyer) == 0
    assert retry_failed_webhooks(now=now + timedelta(minutes=6)) == 1  # the lease expired
    assert user_balance(buyer) == 50
    assert retry_webhook(trigger_id=trigger.pk) == RetryOutcome.ALREADY_PROCESSED


def test_the_beat_task_runs_the_retries(trigger, fake_stripe, buyer):
    fake_stripe.failing.clear()
    WebhookRetry.objects.create(trigger=trigger, next_attempt_at=timezone.now())

    assert retry_failed_webhooks_task.apply().get() == 1
    assert user_balance(buyer) == 50


def test_staff_retry_from_the_admin_is_audited_and_processed(
    trigger, fake_stripe, buyer, superuser, superuser_client, tasks_inline,
    django_capture_on_commit_callbacks,
):
    client = superuser_client
    fake_stripe.failing.clear()
    url = reverse("admin:djstripe_webhookeventtrigger_changelist")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            url, {"action": "retry_processing", "_selected_action": [trigger.pk]}, follow=True
        )

    assert response.status_code == 200
    assert "1 retry queued; 0 skipped" in response.content.decode()
    # The task is enqueued after the request's transaction (then, run, it announces the
    # purchase it credited).
    assert callbacks[0].__qualname__.startswith("queue_webhook_retry")
    trigger.refresh_from_db()
    assert trigger.processed is True
    assert user_balance(buyer) == 50
    assert Purchase.objects.get().status == Purchase.Status.PAID
    action = StaffAction.objects.get()
    assert (action.actor, action.action, action.reason) == (
        superuser, "retry_webhook", "Retried from the Django admin"
    )
    assert action.details == {"trigger_id": trigger.pk,
                              "event_type": "checkout.session.completed", "claimed": True}

    again = client.post(url, {"action": "retry_processing", "_selected_action": [trigger.pk]},
                        follow=True)
    assert "0 retries queued; 1 skipped" in again.content.decode()
    assert StaffAction.objects.count() == 1
    assert_ledger_healthy()


def test_staff_retry_from_the_dashboard_is_audited_and_processed(
    trigger, fake_stripe, staff, staff_client, tasks_inline,
    django_capture_on_commit_callbacks,
):
    listing = staff_client.get("/dashboard/webhooks/?status=failed").content.decode()
    assert "checkout.session.completed" in listing and "Retry" in listing
    fake_stripe.failing.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(f"/dashboard/webhooks/{trigger.pk}/retry/",
                                     {"reason": "customer wrote in"}, follow=True)
    assert callbacks[0].__qualname__.startswith("queue_webhook_retry")
    assert f"Retry of delivery #{trigger.pk} queued." in response.content.decode()
    trigger = WebhookEventTrigger.objects.get(pk=trigger.pk)
    assert trigger.processed
    assert Purchase.objects.get().status == Purchase.Status.PAID
    action = StaffAction.objects.get()
    assert (action.action, action.actor, action.reason, action.details["trigger_id"]) == (
        "retry_webhook", staff, "customer wrote in", trigger.pk
    )

    again = staff_client.post(f"/dashboard/webhooks/{trigger.pk}/retry/", follow=True)
    assert "Only a valid delivery that failed processing can be retried." in (
        again.content.decode()
    )
    assert StaffAction.objects.count() == 1
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_of_one_delivery_process_it_once(
    trigger, fake_stripe, buyer
):
    fake_stripe.failing.clear()
    fake_stripe.latency = 0.3  # processing takes a while: the two callers overlap
    fake_stripe.calls.clear()
    outcomes = race(*[
        lambda actor=actor: retry_webhook(trigger_id=trigger.pk, actor_id=actor.pk,
                                          reason="customer waiting")
        for actor in (make_staff(), make_staff())
    ])

    assert sorted(outcomes) == [RetryOutcome.BUSY, RetryOutcome.PROCESSED]
    session_fetches = [path for method, path, _ in fake_stripe.calls
                       if method == "GET" and path.startswith("/v1/checkout/sessions/")]
    assert len(session_fetches) == 1  # processed once
    assert WebhookRetry.objects.get(trigger=trigger).attempts == 1
    assert user_balance(buyer) == 50
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1
    # Both staff members' requests are on record, and which one did the work.
    claims = sorted(a.details["claimed"] for a in StaffAction.objects.all())
    assert claims == [False, True]
    assert_ledger_healthy()
