"""Recovering Stripe webhook deliveries whose processing failed.

dj-stripe stores every delivery as a `WebhookEventTrigger`; one that validated but raised
while processing stays `valid=True, processed=False` with its traceback. Stripe redelivers
on its own schedule too; retrying here gets tokens to users sooner and survives an outage
longer than Stripe's retry window.

`retry_webhook` is the one owner of a retry. The beat poller (`retry_failed_webhooks`) calls
it directly; staff (the dashboard's button, the admin action) call `queue_webhook_retry`,
which runs it in `retry_webhook_task` so no request waits on Stripe.
"""

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from traceback import format_exc

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from djstripe.models import WebhookEventTrigger
from djstripe.settings import djstripe_settings

from accounts.models import StaffAction, User
from accounts.selectors import get_user_for_staff
from accounts.services import record_staff_action
from billing.models import WebhookRetry
from billing.selectors import get_webhook_trigger, webhook_event_type

logger = logging.getLogger(__name__)

FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
MAX_ATTEMPTS = 10
RETRY_WINDOW = timedelta(days=7)
# How long a claimed retry stays with its caller: longer than the tasks' time limits, so it
# expires only when the caller died, and the poller then takes the delivery over.
CLAIM_LEASE = timedelta(minutes=10)


class RetryOutcome(StrEnum):
    PROCESSED = "processed"
    FAILED = "failed"  # raised again; recorded, retried after a backoff
    BUSY = "busy"  # another caller holds the lease and is processing it now
    ALREADY_PROCESSED = "already_processed"
    NOT_RETRYABLE = "not_retryable"  # no such delivery, or its signature did not verify


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed retries: 1, 2, 4 ... minutes, capped."""
    return min(FIRST_DELAY * (2**attempts), MAX_DELAY)


def _unclaimed(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def _api_key(trigger: WebhookEventTrigger) -> str:
    account = trigger.stripe_trigger_account
    endpoint = trigger.webhook_endpoint
    livemode = endpoint.livemode if endpoint is not None else None
    return (account.default_api_key if account else None) or (
        djstripe_settings.get_default_api_key(livemode)
    )


def _process(trigger: WebhookEventTrigger, retry: WebhookRetry, now: datetime) -> RetryOutcome:
    """Process the claimed delivery as dj-stripe's view would have; record the result and
    release the lease."""
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
            gave_up_at=now if gave_up else retry.gave_up_at,
            claimed_until=None,
        )
        log = logger.error if gave_up else logger.warning
        log("Webhook trigger %s failed again (attempt %s): %s", trigger.pk, attempts, error)
        return RetryOutcome.FAILED
    trigger.save()
    WebhookRetry.objects.filter(pk=retry.pk).update(
        attempts=retry.attempts + 1, resolved_at=now, last_error="", claimed_until=None
    )
    logger.info("Webhook trigger %s processed on retry", trigger.pk)
    return RetryOutcome.PROCESSED


def retry_webhook(
    *,
    trigger_id: int,
    actor_id: int | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> RetryOutcome:
    """Process a failed delivery again, unless another caller is doing so right now.

    Locks: claims the delivery's `WebhookRetry` row by conditional update (`claimed_until`, a
    CLAIM_LEASE lease); zero rows changed means another caller holds it, and this one returns
    BUSY without processing. No lock is held while the handlers call Stripe.
    Writes: the claim and, when a staff member asked (`actor_id`), their `StaffAction` audit
    row, in one transaction; then whatever the event's handlers write (one transaction,
    rolled back on error), the trigger's `processed`/`exception`/`traceback`, and the retry
    bookkeeping (attempts, backoff, given up after MAX_ATTEMPTS; staff may retry after that).
    Guarantees: two callers never process the same delivery at once; a processed delivery is
    never processed again; a caller that dies leaves a lease that expires.
    """
    now = now or timezone.now()
    trigger = get_webhook_trigger(trigger_id)
    if trigger is None or not trigger.valid:
        return RetryOutcome.NOT_RETRYABLE
    retry, _ = WebhookRetry.objects.get_or_create(
        trigger=trigger, defaults={"next_attempt_at": now}
    )
    with transaction.atomic():
        claimed = bool(
            WebhookRetry.objects.filter(_unclaimed(now), pk=retry.pk, resolved_at__isnull=True)
            .update(claimed_until=now + CLAIM_LEASE)
        )
        actor = get_user_for_staff(actor_id) if actor_id is not None else None
        if actor is not None:
            record_staff_action(
                actor=actor,
                action=StaffAction.Action.RETRY_WEBHOOK,
                reason=reason or "Retried by staff",
                details={
                    "trigger_id": trigger.pk,
                    "event_type": webhook_event_type(trigger),
                    "claimed": claimed,
                },
            )
    if not claimed:
        retry.refresh_from_db()
        return RetryOutcome.ALREADY_PROCESSED if retry.resolved_at else RetryOutcome.BUSY
    trigger.refresh_from_db()  # the lease's previous holder may have processed it
    if trigger.processed:
        WebhookRetry.objects.filter(pk=retry.pk).update(resolved_at=now, claimed_until=None)
        return RetryOutcome.ALREADY_PROCESSED
    return _process(trigger, retry, now)


def queue_webhook_retry(*, trigger_id: int, actor: User, reason: str) -> bool:
    """A staff member asks to retry a failed delivery now, whatever its backoff says.

    Writes nothing itself: enqueues `retry_webhook_task` (which runs `retry_webhook` with the
    actor, so the audit row is written with the claim) once the caller's transaction commits.
    Returns False, enqueuing nothing, for a delivery that does not exist, did not validate or
    is already processed.
    """
    from billing.tasks import retry_webhook_task

    trigger = get_webhook_trigger(trigger_id)
    if trigger is None or not trigger.valid or trigger.processed:
        return False
    transaction.on_commit(
        lambda: retry_webhook_task.delay(
            trigger_id=trigger.pk, actor_id=actor.pk, reason=reason
        )
    )
    return True


def retry_failed_webhooks(*, now: datetime | None = None, limit: int = 50) -> int:
    """Beat: retry the failed deliveries whose backoff has elapsed; returns how many succeeded.

    Writes: `WebhookRetry` rows for newly failed triggers (first retry one backoff step after
    the failure), then `retry_webhook` for each due, unclaimed one (it claims each itself).
    """
    now = now or timezone.now()
    failed = WebhookEventTrigger.objects.filter(
        valid=True, processed=False, created__gte=now - RETRY_WINDOW, billing_retry__isnull=True
    ).order_by("created")[:limit]
    for trigger in failed:
        WebhookRetry.objects.get_or_create(
            trigger=trigger, defaults={"next_attempt_at": trigger.updated + FIRST_DELAY}
        )
    due = (
        WebhookRetry.objects.filter(
            _unclaimed(now),
            resolved_at__isnull=True,
            gave_up_at__isnull=True,
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("trigger_id", flat=True)[:limit]
    )
    outcomes = [retry_webhook(trigger_id=trigger_id, now=now) for trigger_id in list(due)]
    return outcomes.count(RetryOutcome.PROCESSED)
