"""The outbox of messages for Slack: recorded in the caller's transaction, sent after commit.

`queue_post` writes a SlackPost and enqueues its task on commit. `send_post` makes one
attempt: it claims the post (pending → sending by conditional update), calls Slack with no
transaction open, and records sent / pending again (with the delay to honour) / failed.
`sweep_posts` finds what a lost task or a dead worker left behind.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from integrations.slack import client
from integrations.slack.models import SlackPost
from integrations.trackers.base import TrackerError

logger = logging.getLogger(__name__)
State = SlackPost.State
MAX_ATTEMPTS = 5
# A claim outlives the task's hard time limit (70 s): past it, the worker is gone.
CLAIM_SECONDS = 90


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_in: float | None = None


def queue_post(*, message: dict, response_url: str = "", expires_at: datetime | None = None,
               channel_id: str = "") -> SlackPost:
    """Record `message` for Slack and send it after commit (a broker outage logs and leaves
    it pending: it was never inside the request's critical path)."""
    post = SlackPost.objects.create(message=message, response_url=response_url,
                                    expires_at=expires_at, channel_id=channel_id,
                                    next_attempt_at=timezone.now())
    post_id = post.pk
    transaction.on_commit(lambda: _dispatch(post_id))
    return post


def _dispatch(post_id: int) -> None:
    from integrations.slack.tasks import send_slack_post_task

    try:
        send_slack_post_task.delay(post_id)
    except BrokerUnavailable:
        logger.warning("slack post %s: broker unavailable", post_id)


def retry_delay(attempts: int, retry_after: float | None) -> float:
    delays = settings.PUSH_RETRY_DELAYS
    delay = delays[min(attempts - 1, len(delays) - 1)]
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.PUSH_RETRY_AFTER_MAX))
    return delay


def send_post(*, post_id: int, now: datetime | None = None) -> Outcome:
    """One attempt at a pending post. While its response_url is valid it goes there; once
    that URL is gone (expired, used 5 times: Slack answers 404) a channel message goes with
    `chat.postMessage`; an ephemeral one cannot (only its response_url reaches one person)
    and fails. Retryable failures (timeout, 429, 5xx) go back to pending, up to
    MAX_ATTEMPTS. Writes only the post's state; never holds a transaction during the call."""
    now = now or timezone.now()
    claimed = SlackPost.objects.filter(pk=post_id, state=State.PENDING).update(
        state=State.SENDING, attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return Outcome("lost_claim")
    post = SlackPost.objects.get(pk=post_id)
    mine = SlackPost.objects.filter(pk=post_id, state=State.SENDING)
    try:
        _deliver(post, now=now)
    except TrackerError as error:
        if error.kind == "retry" and post.attempts < MAX_ATTEMPTS:
            delay = retry_delay(post.attempts, error.retry_after)
            mine.update(state=State.PENDING, error=error.message[:300],
                        next_attempt_at=now + timedelta(seconds=delay))
            return Outcome(State.PENDING, retry_in=delay)
        mine.update(state=State.FAILED, error=error.message[:300], next_attempt_at=None)
        logger.info("slack post %s failed: %s", post_id, error.message)
        return Outcome(State.FAILED)
    mine.update(state=State.SENT, sent_at=timezone.now(), error="", next_attempt_at=None)
    return Outcome(State.SENT)


def _deliver(post: SlackPost, *, now: datetime) -> None:
    # A little margin: a URL about to expire is not worth a 404.
    valid = post.response_url and post.expires_at and post.expires_at > now + timedelta(
        seconds=5)
    if valid:
        try:
            client.post_to_response_url(post.response_url, post.message)
            return
        except TrackerError as error:
            if error.kind != "missing":
                raise
    if post.message.get("response_type") == "ephemeral" or not post.channel_id:
        raise TrackerError("missing", "The response URL expired before the answer could be "
                           "posted.")
    client.post_message(post.channel_id, post.message)


def sweep_posts(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Posts to send now: pending ones past due (their task was lost: a broker outage, a
    retry beyond the broker's countdown) and sending ones whose claim lapsed (the worker
    died mid-call), put back to pending — or failed when that was the last attempt.
    Returns their ids for the caller to enqueue (a post sent twice to the queue is claimed
    once)."""
    now = now or timezone.now()
    with transaction.atomic():
        lapsed = list(SlackPost.objects.select_for_update(skip_locked=True)
                      .filter(state=State.SENDING, next_attempt_at__lte=now)
                      .values_list("pk", "attempts")[:limit])
        for pk, attempts in lapsed:
            last = attempts >= MAX_ATTEMPTS
            SlackPost.objects.filter(pk=pk, state=State.SENDING).update(
                state=State.FAILED if last else State.PENDING,
                next_attempt_at=None if last else now,
                error="The attempt was interrupted (the worker stopped).")
    return list(SlackPost.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
