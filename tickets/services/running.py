"""Running a generation: claim the ticket, call the providers, settle the hold.

The hold is captured only together with storing a successful result, and released when
generation fails definitively. Ticket state moves by conditional updates on the run's token,
so a redelivered, duplicated or taken-over task finishes a ticket at most once. No network
call happens inside a transaction. A run survives a short database outage: its attempt log
is best effort and its finishing step is retried on a fresh connection (tickets/timing.py
explains the leases that let another worker take over a run that died).
"""

import logging
import time
import uuid
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from tickets.kinds import get_kind
from tickets.models import (
    ACTIVE_STATUSES,
    CONTENT_FIELDS,
    GenerationAttempt,
    Split,
    SplitStatus,
    Status,
    Ticket,
    VersionSource,
)
from tickets.providers import (
    AttemptRecord,
    GenerationFailed,
    GenerationRequest,
    GenerationResult,
    generate,
)
from tickets.quality.clarify import attribute_criteria
from tickets.services.dispatch import dispatch_planning
from tickets.services.leases import leased
from tickets.services.prompts import assign_prompt
from tickets.services.scoring import QUALITY_FIELDS, score_ticket
from tickets.services.splitting import fail_split
from tickets.services.versions import record_version
from tickets.signals import ticket_failed, ticket_succeeded
from tickets.timing import timing
from tokens.exceptions import HoldStateError
from tokens.models import Hold, HoldStatus
from tokens.services import capture_hold, lock_hold_account, release_hold

logger = logging.getLogger(__name__)

# What users read when a generation fails. Every one says they were not charged, because
# a failure always releases the hold. Stored in English; pages translate them when shown.
FAILURE_MESSAGES = {
    "busy": gettext_noop("The AI service is busy; you were not charged. Try again."),
    "timeout": gettext_noop(
        "The AI service took too long to answer; you were not charged. Try again."),
    "invalid_output": gettext_noop(
        "The AI service returned a ticket we could not use; you were not charged. Try again."),
    "unavailable": gettext_noop(
        "The AI service is unavailable right now; you were not charged. Try again in a minute."),
    "expired": gettext_noop(
        "The generation took too long and was stopped; you were not charged. Try again."),
    "interrupted": gettext_noop(
        "The generation was interrupted; you were not charged. Try again."),
    "internal": gettext_noop("Something went wrong on our side; you were not charged. Try again."),
}
# A ticket whose runs keep dying (a poison input, a crashing worker) is given up after this
# many claims instead of taking workers down forever.
MAX_RUNS = 3
# How long a run keeps trying to store its result through a database outage.
FINISH_RETRY_SECONDS = 60
DB_OUTAGE_ERRORS = (OperationalError, InterfaceError)


def waiting(now) -> Q:
    """Tickets no live run holds: queued, or running with a lapsed lease (its run is gone;
    a running ticket without a lease predates leases and counts as lapsed)."""
    lapsed = Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
    return Q(status=Status.QUEUED) | (Q(status=Status.RUNNING) & lapsed)


def hold_is(**conditions) -> Q:
    """The ticket's hold matches `conditions`, as a correlated EXISTS rather than a join.

    Conditional updates must stay joinless: Django turns an UPDATE filtered through a join
    into `id IN (subquery)`, whose rows PostgreSQL does not re-check after waiting for a
    concurrent writer's lock, so two workers could both claim one ticket.
    """
    return Q(Exists(Hold.objects.filter(pk=OuterRef("hold_id"), **conditions)))


def claimable(now) -> Q:
    """Tickets a worker may claim now: waiting ones, while the ticket may still run and its
    hold outlasts one more full run."""
    return (
        waiting(now)
        & Q(runs__lt=MAX_RUNS)
        & hold_is(
            status=HoldStatus.PENDING,
            expires_at__gt=now + timing().seconds("hard_limit"),
        )
    )


def record_attempt(*, ticket: Ticket | None, record: AttemptRecord,
                   quality: str = "") -> GenerationAttempt | None:
    """Write one GenerationAttempt row for the staff dashboard. No locks. A call made before
    any ticket exists (clarifying questions) has no ticket and names its `quality`.

    Best effort: the log must never cost a user their ticket, so a database error is
    logged and the connection dropped (the next statement opens a fresh one); returns None.
    """
    try:
        return GenerationAttempt.objects.create(
            ticket=ticket,
            provider=record.provider,
            model_name=record.model,
            quality=ticket.quality if ticket is not None else quality,
            outcome=record.outcome,
            error_code=record.error_code,
            http_status=record.http_status,
            latency_ms=max(0, record.latency_ms),
            prompt_tokens=record.prompt_tokens,
            completion_tokens=record.completion_tokens,
            cost=record.cost,
            prompt_version=record.prompt_version,
        )
    except DatabaseError:
        logger.warning("ticket %s: attempt log not written", ticket and ticket.pk,
                       exc_info=True)
        _drop_connection()
        return None


def _drop_connection() -> None:
    if not connection.in_atomic_block:
        connection.close()


def _claim(ticket_id: int) -> tuple[Ticket, uuid.UUID] | None:
    token = uuid.uuid4()
    now = timezone.now()
    claimed = Ticket.objects.filter(claimable(now), pk=ticket_id).update(
        status=Status.RUNNING,
        run_token=token,
        started_at=now,
        lease_expires_at=now + timing().seconds("lease"),
        runs=F("runs") + 1,
    )
    if not claimed:
        return None
    return Ticket.objects.select_related("hold").get(pk=ticket_id), token


def run_ticket_generation(*, ticket_id: int) -> Ticket | None:
    """Generate the ticket's content and settle its hold; returns the ticket, or None when
    another run owns it, it is already finished, or it can no longer run.

    Claims the ticket by a conditional update (queued -> running, or a running ticket whose
    lease lapsed), takes the ticket's prompt version (`prompts.assign_prompt`: decided on the
    first run, the same on every later one), calls the provider chain with no transaction
    open while a heartbeat keeps the lease, then either stores the result as version 1
    (with its quality check, `scoring.score_ticket`, and the prompt version that produced it)
    and captures the hold,
    or marks it failed and releases the hold — each in one transaction that applies only if
    this run still owns the ticket, retried through a short database outage. So a task
    delivered twice captures once, and a failure never costs the user anything. Raises the
    database's error when the claim itself cannot reach it (the task retries).
    """
    claim = _claim(ticket_id)
    if claim is None:
        return None
    ticket, token = claim
    prompt = assign_prompt(ticket=ticket)
    request = GenerationRequest(
        description=ticket.description,
        ticket_type=ticket.ticket_type,
        quality=ticket.quality,
        product_area=ticket.product_area,
        tech_stack=ticket.tech_stack,
        clarifications=tuple(ticket.clarifications),
        template=ticket.template_spec,
        prompt=prompt,
        language=ticket.language,
    )
    with leased(ticket.pk, token):
        outcome = _generate(ticket, request)
        if isinstance(outcome, str):
            return _settle(_finish_failed, ticket=ticket, token=token, code=outcome)
        try:
            return _settle(_finish_succeeded, ticket=ticket, token=token, result=outcome)
        except HoldStateError:
            # The ledger's sweeper expired the hold while we worked: nothing can be charged.
            return _settle(_finish_failed, ticket=ticket, token=token, code="expired")


def _generate(ticket: Ticket, request: GenerationRequest) -> GenerationResult | str:
    """The provider chain's result, or the failure code to show the user."""
    try:
        return generate(
            request, record_attempt=lambda record: record_attempt(ticket=ticket, record=record)
        )
    except GenerationFailed as failure:
        logger.warning("ticket %s generation failed: %s", ticket.pk, failure)
        return failure.code
    except SoftTimeLimitExceeded:
        logger.warning("ticket %s generation hit its time limit", ticket.pk)
        return "expired"
    except Exception:
        # Whatever broke (a bug, a lost database), the user must not pay for it.
        logger.exception("ticket %s generation crashed", ticket.pk)
        return "internal"


def _settle(finish: Callable[..., Ticket], **kwargs) -> Ticket:
    """Run a finishing step, retrying on a fresh connection while the database is away.

    Safe to repeat: each step applies only while this run owns the ticket, so a retry after
    a commit whose answer was lost changes nothing and returns the stored ticket.
    """
    deadline = time.monotonic() + FINISH_RETRY_SECONDS
    delay = 0.25
    while True:
        try:
            return finish(**kwargs)
        except DB_OUTAGE_ERRORS:
            if time.monotonic() + delay > deadline:
                raise
            logger.warning("ticket %s: database unavailable, retrying", kwargs["ticket"].pk)
            _drop_connection()
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _finish_succeeded(*, ticket: Ticket, token: uuid.UUID, result: GenerationResult) -> Ticket:
    content = {field: result.content[field] for field in CONTENT_FIELDS}
    content["acceptance_criteria"] = attribute_criteria(
        content["acceptance_criteria"], description=ticket.description,
        clarifications=ticket.clarifications)
    for field, value in content.items():
        setattr(ticket, field, value)
    score_ticket(ticket=ticket)  # stored in the same update as the content it scores
    scored = {field: getattr(ticket, field) for field in QUALITY_FIELDS}
    announced = []
    with transaction.atomic():
        # The claim read the hold with the ticket: where it was then spares a read.
        lock_hold_account(hold_id=ticket.hold_id,
                          account_id=ticket.hold.account_id if ticket.hold else None)
        owned = Ticket.objects.filter(pk=ticket.pk, status=Status.RUNNING, run_token=token)
        updated = owned.update(
            status=Status.SUCCEEDED,
            generator=result.provider,
            model_name=result.model,
            prompt_version=result.prompt_version,
            finished_at=timezone.now(),
            lease_expires_at=None,
            error_code="",
            error_message="",
            version=1,
            **content,
            **scored,
        )
        if updated:
            capture_hold(hold=ticket.hold)
            ticket.version = 1
            record_version(ticket=ticket, source=VersionSource.GENERATED)
            transaction.on_commit(lambda: announced.append(_announce_success(ticket)))
            # An epic's stories are planned now that its content exists (only an epic has a
            # split while it is generated: no extra query for the other kinds).
            split_id = (Split.objects.filter(parent_id=ticket.pk, status=SplitStatus.PLANNING)
                        .values_list("pk", flat=True).first()
                        if get_kind(ticket.ticket_type).epic else None)
            if split_id is not None:
                transaction.on_commit(lambda: dispatch_planning(split_id))
    if not announced:  # nothing stored, or the commit is still to come (an outer block)
        ticket.refresh_from_db()
    return ticket


def _announce_success(ticket: Ticket) -> Ticket:
    """After the commit: the ticket read as stored, once, for the receivers and the caller."""
    ticket.refresh_from_db()
    ticket_succeeded.send(sender=Ticket, ticket=ticket)
    return ticket


def _finish_failed(*, ticket: Ticket, token: uuid.UUID | None, code: str) -> Ticket:
    fail_ticket(ticket=ticket, token=token, code=code)
    ticket.refresh_from_db()
    return ticket


def fail_ticket(*, ticket: Ticket, code: str, token: uuid.UUID | None = None, only=None) -> bool:
    """Fail an active ticket with the user-facing message for `code` and release its hold.

    Writes (the hold's account row locked first): the ticket's status, error and
    `finished_at`, then the hold released with reason `ticket <code>`, and the holds of its
    split if it was still planning (an epic's stories: `splitting.fail_split`). Applies only while
    the ticket is active, owned by the run `token` when given, and matching `only` (a Q)
    when given; returns whether it did. Never charges anything.
    """
    with transaction.atomic():
        if ticket.hold_id is not None:
            lock_hold_account(hold_id=ticket.hold_id)
        owned = Ticket.objects.filter(pk=ticket.pk, status__in=ACTIVE_STATUSES)
        if token is not None:
            owned = owned.filter(run_token=token)
        if only is not None:
            owned = owned.filter(only)
        updated = owned.update(
            status=Status.FAILED,
            error_code=code,
            error_message=FAILURE_MESSAGES.get(code, FAILURE_MESSAGES["internal"]),
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        if updated and ticket.hold_id is not None:
            release_hold(hold=Hold.objects.get(pk=ticket.hold_id), reason=f"ticket {code}")
        if updated:
            # An epic that fails takes its stories' reservations with it.
            fail_split(parent_id=ticket.pk, code=code)
            ticket_id = ticket.pk
            transaction.on_commit(lambda: ticket_failed.send(
                sender=Ticket, ticket=Ticket.objects.get(pk=ticket_id)))
    return bool(updated)
