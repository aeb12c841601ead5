"""Sending pushes: claim, find-or-create (or update), record; retries and the sweep.

Jira, GitHub and GitLab take no idempotency key, so exactly-once is ours to make:
- a worker claims a push by a conditional update (pending → sending, attempts + 1), so two
  workers never send the same push at once;
- before a create request leaves, `create_sent` is committed; from then on every attempt
  first looks on the tracker for the ticket's marker (a Jira label, a hidden marker in a
  GitHub/GitLab body) and adopts the issue it finds — so a create that timed out, or whose
  answer was lost with the connection or the worker, is never made twice;
- outcomes are written by conditional updates that apply only while this claim holds, and
  the claim lasts longer than any call can (so a lapsed claim means the worker is gone).
Every call happens outside any transaction; pushing never touches the ledger.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import Connection, Push
from integrations.selectors import ticket_digest
from integrations.services.connections import mark_broken
from integrations.services.credentials import access_token_for
from integrations.services.pushing import dispatch_pushes, parent_ready, waiting_children
from integrations.signals import push_finished
from integrations.trackers import Remote, TrackerError, tracker_class

logger = logging.getLogger(__name__)
State, Action = Push.State, Push.Action
EARLY_SLACK = timedelta(seconds=1)
# Look this far before the first create for the issue it may have made (clock skew).
FIND_MARGIN = timedelta(minutes=10)


def claim_seconds(count: int) -> float:
    """How long a claim of `count` pushes lasts: longer than every call of the attempt
    (a token refresh, a search and a create or an update each, or a link)."""
    return 60 + 5 * settings.INTEGRATIONS_TIMEOUT_SECONDS * max(1, count)


def max_attempts() -> int:
    return len(settings.PUSH_RETRY_DELAYS) + 1


@dataclass(frozen=True)
class Outcome:
    push_id: int
    state: str
    retry_in: float | None = None


def _claim(push_ids: list[int], now: datetime) -> list[Push]:
    until = now + timedelta(seconds=claim_seconds(len(push_ids)))
    # Whose epic is done is read first: a condition on the parent row would turn the UPDATE
    # into `id IN (subquery)`, which PostgreSQL does not re-check after waiting for another
    # worker's claim — both would claim. The claim itself tests only the row's own columns.
    ready = list(Push.objects.filter(parent_ready(), pk__in=push_ids)
                 .values_list("pk", flat=True))
    claimed = []
    for push_id in sorted(ready):
        if Push.objects.filter(pk=push_id, state=State.PENDING,
                               next_attempt_at__lte=now + EARLY_SLACK).update(
                state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=until):
            claimed.append(push_id)
    return list(Push.objects.filter(pk__in=claimed)
                .select_related("ticket", "connection", "parent").order_by("pk"))


def _mine(push: Push):
    return Push.objects.filter(pk=push.pk, state=State.SENDING, attempts=push.attempts)


def _parent_remote(push: Push) -> Remote | None:
    parent = push.parent
    if parent is None or not parent.remote_id:
        return None
    return Remote(parent.remote_id, parent.remote_key, parent.remote_url, parent.remote_extra)


def send_pushes(*, push_ids: list[int]) -> list[Outcome]:
    """One attempt at each due, pending push of one connection (at most the tracker's bulk
    size); pushes another worker has, finished ones and children of unsent epics are skipped.

    Writes per push: the claim; `create_sent` before a create leaves; then done (remote issue
    recorded), pending again after the backoff or the tracker's Retry-After, or failed (the
    last attempt, a refused issue, a broken connection — which is also marked broken).
    After commit: `push_finished` for each finished push, and the children of each epic
    that is now done are sent."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("send_pushes must not run inside a transaction (it calls trackers).")
    pushes = _claim(push_ids, timezone.now())
    if not pushes:
        return []
    connection = pushes[0].connection
    try:
        token = access_token_for(connection)
    except TrackerError as error:
        return [_record_error(push, error) for push in pushes]
    tracker = tracker_class(connection.kind)(connection, token=token)
    outcomes, creates = [], []
    for push in pushes:
        try:
            remote = _before_create(tracker, push)
        except TrackerError as error:
            outcomes.append(_record_error(push, error))
            continue
        if remote is not None:
            outcomes.append(_link_and_finish(tracker, push, remote))
        else:
            creates.append(push)
    outcomes += _create(tracker, creates)
    _after(outcomes)
    return outcomes


def _before_create(tracker, push: Push) -> Remote | None:
    """Everything short of creating: an update, an issue made by an earlier attempt (recorded,
    or found by its marker). Returns the issue when there is nothing to create."""
    if push.remote_id:  # made by an earlier attempt (an update, or a link still to make)
        remote = Remote(push.remote_id, push.remote_key, push.remote_url, push.remote_extra)
        if push.action == Action.UPDATE:
            draft = tracker.draft(push.ticket, parent=_parent_remote(push))
            remote = tracker.update(remote, draft)
        return remote
    if push.create_sent or _pushed_before(push):
        since = (push.first_sent_at or push.created_at) - FIND_MARGIN
        return tracker.find(push.marker, since=since)
    return None


def _pushed_before(push: Push) -> bool:
    """Whether this ticket went to the same place through another connection (a connection
    removed and added again): its issue may be there already."""
    return Push.objects.filter(ticket_id=push.ticket_id, create_sent=True,
                               connection__kind=push.connection.kind,
                               connection__target=push.connection.target,
                               ).exclude(pk=push.pk).exists()


def _create(tracker, pushes: list[Push]) -> list[Outcome]:
    if not pushes:
        return []
    drafts, ready = [], []
    outcomes = []
    for push in pushes:
        try:
            drafts.append(tracker.draft(push.ticket, parent=_parent_remote(push)))
            ready.append(push)
        except TrackerError as error:
            outcomes.append(_record_error(push, error))
    now = timezone.now()
    sendable = []
    for push, draft in zip(ready, drafts, strict=True):
        # Committed before the request leaves: from now on, look before creating again.
        if _mine(push).update(create_sent=True, first_sent_at=push.first_sent_at or now):
            push.create_sent, push.first_sent_at = True, push.first_sent_at or now
            sendable.append((push, draft))
    if not sendable:
        return outcomes
    results = tracker.create_many([draft for _, draft in sendable])
    for (push, _), result in zip(sendable, results, strict=True):
        if isinstance(result, TrackerError):
            outcomes.append(_record_error(push, result))
        else:
            outcomes.append(_link_and_finish(tracker, push, result))
    return outcomes


def _link_and_finish(tracker, push: Push, remote: Remote) -> Outcome:
    fields = {"remote_id": remote.id, "remote_key": remote.key, "remote_url": remote.url,
              "remote_extra": remote.extra}
    _mine(push).update(**fields)
    parent = _parent_remote(push)
    if parent is not None:
        try:
            tracker.link_child(parent, remote)
        except TrackerError as error:
            return _record_error(push, error)
    finished = _mine(push).update(state=State.DONE, action=Action.CREATE, error="",
                                  next_attempt_at=None, done_at=timezone.now(),
                                  sent_digest=ticket_digest(push.ticket))
    return Outcome(push.pk, State.DONE if finished else "lost_claim")


def _record_error(push: Push, error: TrackerError) -> Outcome:
    now = timezone.now()
    mine = _mine(push)
    if error.kind == "auth":
        mark_broken(connection=push.connection, problem=error.message)
    if error.kind == "retry" and push.attempts < max_attempts():
        delay = settings.PUSH_RETRY_DELAYS[push.attempts - 1]
        if error.retry_after is not None:
            delay = max(delay, min(error.retry_after, settings.PUSH_RETRY_AFTER_MAX))
        mine.update(state=State.PENDING, next_attempt_at=now + timedelta(seconds=delay),
                    error=error.message[:300])
        return Outcome(push.pk, State.PENDING, retry_in=delay)
    message = error.message
    if error.kind == "retry":
        message = f"Gave up after {push.attempts} attempts: {error.message} Try again later."
    failed = mine.update(state=State.FAILED, next_attempt_at=None, error=message[:300])
    if failed:
        _fail_children(push)
    logger.info("push %s failed: %s", push.pk, message)
    return Outcome(push.pk, State.FAILED if failed else "lost_claim")


def _fail_children(push: Push) -> None:
    Push.objects.filter(parent=push, state=State.PENDING).update(
        state=State.FAILED, next_attempt_at=None,
        error="Its epic could not be sent: try the epic again.")


def _after(outcomes: list[Outcome]) -> None:
    finished = [o.push_id for o in outcomes if o.state in (State.DONE, State.FAILED)]
    if not finished:
        return
    done = [o.push_id for o in outcomes if o.state == State.DONE]
    for push in Push.objects.filter(pk__in=finished).select_related("ticket", "connection"):
        push_finished.send(sender=Push, push=push)
    for connection, children in waiting_children(done).items():
        Push.objects.filter(pk__in=children).update(next_attempt_at=timezone.now())
        dispatch_pushes(connection, children)


def sweep_pushes(*, now: datetime | None = None, limit: int = 500) -> dict[Connection, list]:
    """Pushes to send now: pending ones past due whose epic is done (their task was lost, or
    their retry was too far ahead for a broker countdown), and sending ones whose claim
    lapsed (the worker died mid-call), put back to pending — `create_sent` stays, so the next
    attempt looks for the issue first — or failed when that was the last attempt.

    Returns the due push ids by connection, for the caller to dispatch."""
    now = now or timezone.now()
    with transaction.atomic():
        lapsed = list(Push.objects.select_for_update(skip_locked=True)
                      .filter(state=State.SENDING, next_attempt_at__lte=now)
                      .values_list("pk", "attempts")[:limit])
        for pk, attempts in lapsed:
            last = attempts >= max_attempts()
            Push.objects.filter(pk=pk, state=State.SENDING).update(
                state=State.FAILED if last else State.PENDING,
                next_attempt_at=None if last else now,
                error="The attempt was interrupted (the worker stopped).")
    due: dict[Connection, list] = {}
    for push in (Push.objects.filter(parent_ready(), state=State.PENDING,
                                     next_attempt_at__lte=now)
                 .select_related("connection").order_by("next_attempt_at")[:limit]):
        due.setdefault(push.connection, []).append(push.pk)
    return due
