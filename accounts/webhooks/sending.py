"""Sending a delivery: claim it, POST it signed, record the outcome; and the sweep.

A worker claims a due delivery by a conditional update (pending → delivering), so two
workers never send the same one at once; the POST happens after that update committed,
outside any transaction; the outcome is written by another conditional update that only
applies while this claim still holds. Delivery is at least once: a worker that dies after
the POST but before recording it leaves a claim that lapses, and the event is sent again
(receivers dedupe on the event id).

The error an attempt records (`last_error`, shown on the webhooks page) is written in the
language of the endpoint's person: its owner, or for a team's endpoint whoever set it up (a
worker has no request to take the language from).
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.languages import in_language_of
from accounts.webhooks.addresses import check_destination
from accounts.webhooks.models import WebhookDelivery
from accounts.webhooks.signing import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status

USER_AGENT = "MyBA-Webhooks/1.0 (+https://myba.example/docs/webhooks)"
# A task may start a little before the time it was scheduled for (clocks of two hosts).
EARLY_SLACK = timedelta(seconds=1)
# How long a claim lasts: longer than a POST can take (connect + read timeouts, and margin).
CLAIM_SECONDS = 60
# Retry-After on these statuses says when to come back.
RETRY_AFTER_STATUSES = {429, 503}


@dataclass(frozen=True)
class Outcome:
    """What an attempt came to: `retry_in` seconds until the next attempt when it is to be
    retried (None: finished, or nothing was sent)."""

    status: str
    retry_in: float | None = None


def max_attempts() -> int:
    return len(settings.WEBHOOKS_RETRY_DELAYS) + 1


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now + EARLY_SLACK,
    ).update(status=Status.DELIVERING, attempts=F("attempts") + 1,
             next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related(
        "endpoint__owner", "endpoint__created_by").get(pk=delivery_id)


def _reader(endpoint):
    """Whose language the endpoint's delivery errors are written in (None: English)."""
    return endpoint.owner or endpoint.created_by


def _no_answer(timeout: float) -> str:
    count = int(timeout) if float(timeout).is_integer() else 2  # 0.5 s: the plural
    return ngettext("No answer within %(seconds)s second.",
                    "No answer within %(seconds)s seconds.", count) % {"seconds": f"{timeout:g}"}


def _retry_after(response: requests.Response, now: datetime) -> float:
    value = response.headers.get("Retry-After", "").strip()
    if not value or response.status_code not in RETRY_AFTER_STATUSES:
        return 0.0
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError):
            return 0.0
    return max(0.0, min(seconds, settings.WEBHOOKS_RETRY_AFTER_MAX))


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, float]:
    """POST the event: (status code or None, error, Retry-After seconds)."""
    refused = check_destination(delivery.endpoint.url)
    if refused:
        return None, refused, 0.0
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(delivery.endpoint.secret, body),
    }
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
    try:
        # No redirects: a 3xx is a failure, and the signed body never goes somewhere else.
        with requests.post(delivery.endpoint.url, data=body, headers=headers,
                           timeout=(min(timeout, 5.0), timeout), allow_redirects=False,
                           stream=True) as response:
            code = response.status_code
            error = ("" if 200 <= code < 300
                     else _("The endpoint answered HTTP %(code)s.") % {"code": code})
            return code, error, _retry_after(response, timezone.now())
    except requests.Timeout:
        return None, _no_answer(timeout), 0.0
    except requests.RequestException as exc:
        return None, _("Could not connect (%(error)s).") % {"error": type(exc).__name__}, 0.0


def deliver_webhook(*, delivery_id: int) -> Outcome:
    """One attempt at a delivery, if it is due and pending (else nothing: another worker has
    it, or it is finished).

    Writes: the claim (status delivering, attempts + 1), then after the POST the outcome:
    succeeded (2xx), failed (the last attempt), or pending again with `next_attempt_at`
    after the backoff for this attempt or the endpoint's Retry-After, whichever is later.
    """
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("deliver_webhook must not run inside a transaction (it POSTs).")
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return Outcome(status="skipped")
    with in_language_of(_reader(delivery.endpoint)):
        code, error, retry_after = _post(delivery)
    now = timezone.now()
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.DELIVERING,
                                          attempts=delivery.attempts)
    fields = {"last_status_code": code, "last_error": error[:200]}
    if not error:
        mine.update(status=Status.SUCCEEDED, delivered_at=now, next_attempt_at=None, **fields)
        return Outcome(status=Status.SUCCEEDED)
    if delivery.attempts >= max_attempts():
        mine.update(status=Status.FAILED, next_attempt_at=None, **fields)
        logger.info("webhook %s failed after %s attempts: %s", delivery.event_id,
                    delivery.attempts, error)
        return Outcome(status=Status.FAILED)
    delay = max(settings.WEBHOOKS_RETRY_DELAYS[delivery.attempts - 1], retry_after)
    mine.update(status=Status.PENDING, next_attempt_at=now + timedelta(seconds=delay), **fields)
    return Outcome(status=Status.PENDING, retry_in=delay)


def sweep_deliveries(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries to send now: pending ones past due (their task was lost, or their retry
    was too far ahead for a broker countdown), and delivering ones whose claim lapsed (the
    worker died mid-send), put back to pending — or failed when that was the last attempt.

    Locks the lapsed rows with skip_locked (another sweep takes the rest). Returns the ids
    of the pending deliveries now due, for the caller to enqueue.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lapsed = list(WebhookDelivery.objects.select_for_update(skip_locked=True)
                      .filter(status=Status.DELIVERING, next_attempt_at__lte=now)
                      .values_list("pk", "attempts")[:limit])
        readers = {delivery.pk: _reader(delivery.endpoint) for delivery in
                   WebhookDelivery.objects.filter(pk__in=[pk for pk, _attempts in lapsed])
                   .select_related("endpoint__owner", "endpoint__created_by")}
        for pk, attempts in lapsed:
            last = attempts >= max_attempts()
            with in_language_of(readers.get(pk)):
                error = _("The attempt was interrupted (the worker stopped).")
            WebhookDelivery.objects.filter(pk=pk, status=Status.DELIVERING).update(
                status=Status.FAILED if last else Status.PENDING,
                next_attempt_at=None if last else now, last_error=error[:200])
    return list(WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
