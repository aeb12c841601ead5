"""Recovering Stripe webhook deliveries whose processing failed.

dj-stripe stores every delivery as a `WebhookEventTrigger`; one that validated but raised
while processing stays `valid=True, processed=False` with its traceback. Stripe redelivers
on its own schedule too; retrying here gets tokens to users sooner and survives an outage
longer than Stripe's retry window.
"""

import logging
from datetime import timedelta
from traceback import format_exc

from django.db import transaction
from django.utils import timezone
from djstripe.models import WebhookEventTrigger
from djstripe.settings import djstripe_settings

from billing.models import WebhookRetry

logger = logging.getLogger(__name__)

FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
MAX_ATTEMPTS = 10
RETRY_WINDOW = timedelta(days=7)
# A claimed retry is pushed this far ahead so another worker does not take it meanwhile.
CLAIM_LEASE = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed retries: 1, 2, 4 ... minutes, capped."""
    return min(FIRST_DELAY * (2**attempts), MAX_DELAY)


def _api_key(trigger: WebhookEventTrigger) -> str:
    account = trigger.stripe_trigger_account
    endpoint = trigger.webhook_endpoint
    livemode = endpoint.livemode if endpoint is not None else None
    return (account.default_api_key if account else None) or (
        djstripe_settings.get_default_api_key(livemode)
    )


def retry_webhook_trigger(*, trigger: WebhookEventTrigger, now=None) -> bool:
    """Process a failed delivery again, as dj-stripe's view would have.

    Writes: whatever the event's handlers write (in one transaction, rolled back on error),
    the trigger's `processed`/`exception`/`traceback`, and its `WebhookRetry` bookkeeping
    (attempts and the next attempt, with exponential backoff; given up after MAX_ATTEMPTS).
    Locks: none of its own; handlers lock what they change. Returns True once processed.
    Guarantees: safe to repeat — events are processed once per Stripe event id.
    """
    if not trigger.valid:
        return False
    now = now or timezone.now()
    retry, _ = WebhookRetry.objects.get_or_create(
        trigger=trigger, defaults={"next_attempt_at": now}
    )
    if trigger.processed:
        WebhookRetry.objects.filter(pk=retry.pk).update(resolved_at=now)
        return True
    try:
        with transaction.atomic():
            trigger.process(save=False, api_key=_api_key(trigger))
    except Exception as error:  # any handler failure is recorded, exactly as dj-stripe does
        field = WebhookEventTrigger._meta.get_field("exception")
        trigger.exception = str(error)[: field.max_length]
        trigger.traceback = format_exc()
        trigger.save(update_fields=["exception", "traceback", "updated"])
        attempts = retry.attempts + 1
        gave_up = attempts >= MAX_ATTEMPTS
        WebhookRetry.objects.filter(pk=retry.pk).update(
            attempts=attempts,
            last_error=trigger.traceback,
            next_attempt_at=now + backoff(attempts),
            gave_up_at=now if gave_up else None,
        )
        log = logger.error if gave_up else logger.warning
        log("Webhook trigger %s failed again (attempt %s): %s", trigger.pk, attempts, error)
        return False
    trigger.save()
    WebhookRetry.objects.filter(pk=retry.pk).update(
        attempts=retry.attempts + 1, resolved_at=now, last_error=""
    )
    logger.info("Webhook trigger %s processed on retry", trigger.pk)
    return True


def retry_failed_webhooks(*, now=None, limit: int = 50) -> int:
    """Retry the failed deliveries whose backoff has elapsed; returns how many succeeded.

    Writes: `WebhookRetry` rows for newly failed triggers (first retry one backoff step after
    the failure), then claims each due row by conditional update — zero rows changed means
    another worker took it — and calls `retry_webhook_trigger` outside any lock.
    """
    now = now or timezone.now()
    failed = WebhookEventTrigger.objects.filter(
        valid=True, processed=False, created__gte=now - RETRY_WINDOW, billing_retry__isnull=True
    ).order_by("created")[:limit]
    for trigger in failed:
        WebhookRetry.objects.get_or_create(
            trigger=trigger, defaults={"next_attempt_at": trigger.updated + FIRST_DELAY}
        )
    due = WebhookRetry.objects.filter(
        resolved_at__isnull=True, gave_up_at__isnull=True, next_attempt_at__lte=now
    ).order_by("next_attempt_at")[:limit]
    succeeded = 0
    for retry in list(due):
        claimed = WebhookRetry.objects.filter(
            pk=retry.pk, next_attempt_at=retry.next_attempt_at, resolved_at__isnull=True
        ).update(next_attempt_at=now + CLAIM_LEASE)
        if not claimed:
            continue
        trigger = WebhookEventTrigger.objects.select_related(
            "stripe_trigger_account", "webhook_endpoint"
        ).get(pk=retry.trigger_id)
        succeeded += retry_webhook_trigger(trigger=trigger, now=now)
    return succeeded
