"""Running a generation: claim the ticket, call the providers, settle the hold.

The hold is captured only together with storing a successful result, and released when
generation fails definitively. Ticket state moves by conditional updates, so a redelivered or
duplicated task finishes a ticket at most once. No network call happens inside a transaction.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.models import ACTIVE_STATUSES, CONTENT_FIELDS, GenerationAttempt, Status, Ticket
from tickets.providers import (
    AttemptRecord,
    GenerationFailed,
    GenerationRequest,
    GenerationResult,
    generate,
)
from tokens.exceptions import HoldStateError
from tokens.models import Hold, HoldStatus, TokenAccount
from tokens.services import capture_hold, release_hold

logger = logging.getLogger(__name__)

# What users read when a generation fails. Every one says they were not charged, because
# a failure always releases the hold.
FAILURE_MESSAGES = {
    "busy": "The AI service is busy; you were not charged. Try again.",
    "timeout": "The AI service took too long to answer; you were not charged. Try again.",
    "invalid_output": (
        "The AI service returned a ticket we could not use; you were not charged. Try again."
    ),
    "unavailable": (
        "The AI service is unavailable right now; you were not charged. Try again in a minute."
    ),
    "expired": "The generation took too long and was stopped; you were not charged. Try again.",
    "interrupted": "The generation was interrupted; you were not charged. Try again.",
    "internal": "Something went wrong on our side; you were not charged. Try again.",
}
def run_lease() -> timedelta:
    """After this long a `running` ticket may be claimed again by a redelivered task."""
    return timedelta(seconds=getattr(settings, "TICKETS_RUN_LEASE_SECONDS", 300))


def stuck_after() -> timedelta:
    """A queued or running ticket older than this is given up by the sweeper."""
    return timedelta(seconds=getattr(settings, "TICKETS_STUCK_AFTER_SECONDS", 900))


def record_attempt(*, ticket: Ticket, record: AttemptRecord) -> GenerationAttempt:
    """Write one GenerationAttempt row for the staff dashboard. No locks."""
    return GenerationAttempt.objects.create(
        ticket=ticket,
        provider=record.provider,
        model_name=record.model,
        quality=ticket.quality,
        outcome=record.outcome,
        error_code=record.error_code,
        http_status=record.http_status,
        latency_ms=max(0, record.latency_ms),
        prompt_tokens=record.prompt_tokens,
        completion_tokens=record.completion_tokens,
        cost=record.cost,
    )


def _claim(ticket_id: int) -> tuple[Ticket, uuid.UUID] | None:
    token = uuid.uuid4()
    now = timezone.now()
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started_at__lt=now - run_lease())
    claimed = (
        Ticket.objects.filter(claimable, pk=ticket_id)
        .update(status=Status.RUNNING, run_token=token, started_at=now)
    )
    if not claimed:
        return None
    return Ticket.objects.select_related("hold").get(pk=ticket_id), token


def run_ticket_generation(*, ticket_id: int) -> Ticket | None:
    """Generate the ticket's content and settle its hold; returns the ticket, or None when
    another run owns it or it is already finished.

    Claims the ticket by a conditional update (queued -> running, or a running ticket whose
    lease lapsed), calls the provider chain with no transaction open, then either stores the
    result and captures the hold, or marks it failed and releases the hold — each in one
    transaction that only applies if this run still owns the ticket. So a task delivered
    twice captures once, and a failure never costs the user anything.
    """
    claim = _claim(ticket_id)
    if claim is None:
        return None
    ticket, token = claim
    request = GenerationRequest(
        description=ticket.description,
        ticket_type=ticket.ticket_type,
        quality=ticket.quality,
        product_area=ticket.product_area,
        tech_stack=ticket.tech_stack,
    )
    try:
        result = generate(
            request, record_attempt=lambda record: record_attempt(ticket=ticket, record=record)
        )
    except GenerationFailed as failure:
        logger.warning("ticket %s generation failed: %s", ticket.pk, failure)
        return _finish_failed(ticket=ticket, token=token, code=failure.code)
    except Exception:
        # Whatever broke (a bug, a time limit), the user must not pay for it.
        logger.exception("ticket %s generation crashed", ticket.pk)
        return _finish_failed(ticket=ticket, token=token, code="internal")
    try:
        return _finish_succeeded(ticket=ticket, token=token, result=result)
    except HoldStateError:
        # The ledger's sweeper released the hold while we worked: nothing can be charged.
        return _finish_failed(ticket=ticket, token=token, code="expired")


def _finish_succeeded(*, ticket: Ticket, token: uuid.UUID, result: GenerationResult) -> Ticket:
    content = {field: result.content[field] for field in CONTENT_FIELDS}
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).get(pk=ticket.token_account_id)
        owned = Ticket.objects.filter(pk=ticket.pk, status=Status.RUNNING, run_token=token)
        updated = owned.update(
            status=Status.SUCCEEDED,
            generator=result.provider,
            model_name=result.model,
            finished_at=timezone.now(),
            error_code="",
            error_message="",
            **content,
        )
        if updated:
            capture_hold(hold=ticket.hold)
    ticket.refresh_from_db()
    return ticket


def _finish_failed(*, ticket: Ticket, token: uuid.UUID | None, code: str) -> Ticket:
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).get(pk=ticket.token_account_id)
        owned = Ticket.objects.filter(pk=ticket.pk, status__in=ACTIVE_STATUSES)
        if token is not None:
            owned = owned.filter(run_token=token)
        updated = owned.update(
            status=Status.FAILED,
            error_code=code,
            error_message=FAILURE_MESSAGES.get(code, FAILURE_MESSAGES["internal"]),
            finished_at=timezone.now(),
        )
        if updated and ticket.hold_id is not None:
            release_hold(hold=Hold.objects.get(pk=ticket.hold_id), reason=f"ticket {code}")
    ticket.refresh_from_db()
    return ticket


def sweep_stuck_tickets(*, now=None) -> int:
    """Fail tickets whose generation will never finish; returns how many.

    A ticket is stuck when it is queued or running and either its hold is no longer pending
    (the ledger's sweeper released an expired hold: its worker died) or it is older than
    `stuck_after()`. Each is failed with `interrupted` and any still-pending hold released,
    account row locked first; tickets another process holds are skipped (skip_locked).
    """
    now = now or timezone.now()
    stuck = Ticket.objects.filter(status__in=ACTIVE_STATUSES).filter(
        ~Q(hold__status=HoldStatus.PENDING) | Q(created_at__lt=now - stuck_after())
    )
    swept = 0
    for ticket_id, account_id in stuck.values_list("pk", "token_account_id")[:500]:
        with transaction.atomic():
            if (
                TokenAccount.objects.select_for_update(no_key=True, skip_locked=True)
                .filter(pk=account_id)
                .first()
                is None
            ):
                continue
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(pk=ticket_id, status__in=ACTIVE_STATUSES)
                .first()
            )
            if ticket is None:
                continue
            ticket.status = Status.FAILED
            ticket.error_code = "interrupted"
            ticket.error_message = FAILURE_MESSAGES["interrupted"]
            ticket.finished_at = now
            ticket.save(update_fields=["status", "error_code", "error_message", "finished_at",
                                       "updated_at"])
            if ticket.hold_id is not None:
                release_hold(hold=Hold.objects.get(pk=ticket.hold_id), reason="ticket stuck")
            swept += 1
    return swept
