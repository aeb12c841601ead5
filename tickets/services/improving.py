"""Improve: the failing fields of a ticket rewritten, paid only when the ticket gets better.

Money rules as for a generation (DESIGN.md, "Generate a ticket"): asking reserves the price
(`ticket.improve.<quality>`) in the transaction that creates the improvement; the rewrite runs
in a Celery task with no transaction open; the hold is captured only together with storing a
ticket that scores higher, and released in every other case (no better version, the ticket
changed meanwhile, the provider failed, the run died). One improvement per ticket at a time
is a database constraint, so concurrent clicks take one hold.
"""

import logging
import uuid
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from tickets.models import (
    CONTENT_FIELDS,
    ImprovementStatus,
    Status,
    Ticket,
    TicketImprovement,
    VersionSource,
)
from tickets.models.history import ACTIVE_IMPROVEMENT
from tickets.providers import GenerationFailed, GenerationRequest, generate
from tickets.providers.improve import build_improve_messages
from tickets.quality import Scorecard, check_ticket
from tickets.quality.clarify import attribute_criteria
from tickets.quotes import improve_price, improve_price_key
from tickets.services.running import record_attempt
from tickets.services.scoring import QUALITY_FIELDS
from tickets.services.versions import record_version
from tickets.timing import timing
from tokens.exceptions import HoldStateError, UnknownPrice
from tokens.limits import SpendLimit
from tokens.models import Hold, HoldStatus, TokenAccount
from tokens.services import capture_hold, lock_hold_account, release_hold, reserve_tokens

logger = logging.getLogger(__name__)

BATCH = 500


class NothingToImprove(Exception):
    """The ticket is not finished, or already passes every check."""


class AlreadyImproving(Exception):
    """Another improvement of this ticket is queued or running."""


def request_ticket_improvement(
    *, ticket: Ticket, account: TokenAccount, spender: str, nonce: uuid.UUID,
    limits: tuple[SpendLimit, ...] = (),
) -> TicketImprovement:
    """Reserve the price of improving `ticket` and queue the rewrite.

    Writes (one transaction, the TokenAccount row locked first): a queued TicketImprovement
    of the ticket's current version and a pending Hold for `ticket.improve.<quality>` (key
    `ticket:<id>:improve:<improvement id>`, spender `spender`, within `limits` — a team
    member's, checked under the pool's lock); on commit sends it to the
    workers. Guarantees: the same `nonce` returns the first call's improvement and reserves
    nothing more; while one is queued or running another raises AlreadyImproving (checked
    under the lock and enforced by a partial unique constraint). Raises NothingToImprove,
    UnknownPrice, InsufficientTokens, LimitReached, AccountClosed — each leaving nothing
    written.
    """
    cost = improve_price(ticket.quality)
    if cost is None:
        raise UnknownPrice(improve_price_key(ticket.quality))
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).get(pk=account.pk)
        existing = TicketImprovement.objects.filter(ticket=ticket, nonce=nonce).first()
        if existing is not None:
            return existing
        current = Ticket.objects.get(pk=ticket.pk)
        if current.status != Status.SUCCEEDED or current.quality_score in (None, 100):
            raise NothingToImprove
        try:
            with transaction.atomic():
                improvement = TicketImprovement.objects.create(
                    ticket=current,
                    token_account=account,
                    cost=cost,
                    nonce=nonce,
                    base_version=current.version,
                    score_before=current.quality_score,
                    dispatched_at=timezone.now(),
                )
        except IntegrityError as error:
            # Another account's click (a visitor and the user it became) got there first.
            raise AlreadyImproving from error
        improvement.hold = reserve_tokens(
            account=account,
            amount=cost,
            idempotency_key=f"ticket:{current.pk}:improve:{improvement.pk}",
            reference=improvement.reference,
            feature_key=improve_price_key(current.quality),
            spender=spender,
            ttl=timing().seconds("hold_ttl"),
            limits=limits,
        )
        improvement.save(update_fields=["hold"])
        improvement_id = improvement.pk
        transaction.on_commit(lambda: dispatch_improvement(improvement_id))
    return improvement


def dispatch_improvement(improvement_id: int) -> bool:
    """Enqueue the improvement's run; False when the broker is unreachable (the recovery
    sweep sends it again)."""
    from tickets.tasks import improve_ticket_task

    try:
        improve_ticket_task.delay(improvement_id)
    except BrokerUnavailable:
        logger.warning("improvement %s: broker unavailable, the sweeper will send it",
                       improvement_id)
        return False
    return True


@dataclass(frozen=True)
class Candidate:
    """The ticket with its failing fields rewritten, and both checks."""

    content: dict
    fields: list[str]
    before: Scorecard
    after: Scorecard


def _fields_to_rewrite(scorecard: Scorecard) -> list[str]:
    """The fields the failing rules judge (each rule names its own), in the ticket's order."""
    judged = {field for result in scorecard.failing for field in result.fields}
    return [field for field in CONTENT_FIELDS if field in judged]


def _rewrite(ticket: Ticket) -> Candidate:
    """Ask the provider chain for the ticket with its failing fields rewritten and merge only
    those fields into the current content. No transaction; raises GenerationFailed."""
    current = ticket.content()
    checked = {"description": ticket.description, "ticket_type": ticket.ticket_type,
               "template": ticket.template_spec, "language": ticket.written_language}
    before = check_ticket(current, **checked)
    fields = _fields_to_rewrite(before)
    request = GenerationRequest(
        description=ticket.description,
        ticket_type=ticket.ticket_type,
        quality=ticket.quality,
        product_area=ticket.product_area,
        tech_stack=ticket.tech_stack,
        clarifications=tuple(ticket.clarifications),
        template=ticket.template_spec,
        language=ticket.written_language,
    )
    failures = [f"{result.label}: {result.message}" for result in before.failing]
    result = generate(
        request,
        record_attempt=lambda record: record_attempt(ticket=ticket, record=record),
        messages=build_improve_messages(request, current, failures, fields),
    )
    content = {**current, **{field: result.content[field] for field in fields}}
    if "acceptance_criteria" in fields:
        content["acceptance_criteria"] = attribute_criteria(
            content["acceptance_criteria"], description=ticket.description,
            clarifications=ticket.clarifications)
    return Candidate(content=content, fields=fields, before=before,
                     after=check_ticket(content, **checked))


def _claim(improvement_id: int) -> tuple[TicketImprovement, uuid.UUID] | None:
    token = uuid.uuid4()
    claimed = TicketImprovement.objects.filter(
        pk=improvement_id, status=ImprovementStatus.QUEUED
    ).update(status=ImprovementStatus.RUNNING, run_token=token, started_at=timezone.now())
    if not claimed:
        return None
    return TicketImprovement.objects.select_related("ticket").get(pk=improvement_id), token


def run_ticket_improvement(*, improvement_id: int) -> TicketImprovement | None:
    """Rewrite the failing fields and settle the hold; None when another run owns it or it
    is finished.

    Claims the improvement (queued -> running, conditional update), rewrites outside any
    transaction (`_rewrite`), then settles in one transaction (the hold's account row locked
    first) that applies only while this run owns it: when the rewrite scores higher and the
    ticket is still at `base_version`, writes the rewritten fields, their check, `version` + 1
    and the version row (source improved) and captures the hold; otherwise keeps the ticket
    as it is and releases the hold. A provider failure fails it, released. So a redelivered
    task settles once and the user pays only for a better ticket.
    """
    claim = _claim(improvement_id)
    if claim is None:
        return None
    improvement, token = claim
    try:
        candidate = _rewrite(improvement.ticket)
    except GenerationFailed as failure:
        return _finish(improvement, token, failed=failure.code)
    except SoftTimeLimitExceeded:
        return _finish(improvement, token, failed="expired")
    except Exception:
        logger.exception("improvement %s crashed", improvement.pk)
        return _finish(improvement, token, failed="internal")
    try:
        return _finish(improvement, token, candidate=candidate)
    except HoldStateError:
        return _finish(improvement, token, failed="expired")


def _finish(improvement: TicketImprovement, token: uuid.UUID, *,
            candidate: Candidate | None = None, failed: str = "") -> TicketImprovement:
    now = timezone.now()
    with transaction.atomic():
        lock_hold_account(hold_id=improvement.hold_id)
        owned = TicketImprovement.objects.filter(
            pk=improvement.pk, status=ImprovementStatus.RUNNING, run_token=token
        )
        settled = {"finished_at": now}
        if candidate is not None:
            settled |= {"fields": candidate.fields, "score_before": candidate.before.score,
                        "score_after": candidate.after.score}
        applied = not failed and candidate.after.score > candidate.before.score and _apply(
            improvement, candidate, now
        )
        if applied:
            status = ImprovementStatus.IMPROVED
        elif failed:
            status, settled["error_code"] = ImprovementStatus.FAILED, failed
        else:
            status = ImprovementStatus.NOT_BETTER
            if candidate.after.score > candidate.before.score:
                settled["error_code"] = "changed"  # edited meanwhile: not applied over it
        if owned.update(status=status, **settled):
            hold = Hold.objects.get(pk=improvement.hold_id)
            if applied:
                capture_hold(hold=hold)
            else:
                release_hold(hold=hold, reason=f"improvement {failed or 'not better'}")
        else:
            # Another run settled it (a redelivery after this one's answer was lost).
            transaction.set_rollback(True)
    improvement.refresh_from_db()
    return improvement


def _apply(improvement: TicketImprovement, candidate: Candidate, now) -> bool:
    """Write the rewritten fields over the ticket if it is still at the improved version.

    Inside `_finish`'s transaction; the ticket's row is locked by the update, and an edit
    that moved `version` first makes it apply nothing. Writes the version row with it."""
    ticket = Ticket.objects.get(pk=improvement.ticket_id)
    for field in candidate.fields:
        setattr(ticket, field, candidate.content[field])
    ticket.quality_report = candidate.after.to_dict()
    ticket.quality_score = candidate.after.score
    ticket.version = improvement.base_version + 1
    updated = Ticket.objects.filter(
        pk=ticket.pk, version=improvement.base_version, status=Status.SUCCEEDED
    ).update(
        version=ticket.version,
        updated_at=now,
        **{field: getattr(ticket, field) for field in (*candidate.fields, *QUALITY_FIELDS)},
    )
    if updated:
        record_version(ticket=ticket, source=VersionSource.IMPROVED,
                       note=f"Quality {candidate.before.score} → {candidate.after.score}")
    return bool(updated)


def sweep_stuck_improvements(*, now=None) -> int:
    """Settle improvements no worker will finish; returns how many were failed.

    Run with the tickets' recovery sweep. Queued ones whose task was sent more than a lease
    ago are sent again (`dispatched_at` moved by conditional update, so two sweeps send
    once). Running ones past the hard time limit plus a lease (their worker died: a live run
    is killed at the hard limit), and active ones whose hold is no longer pending, are
    failed as `interrupted` and released, each by a conditional update under the hold's
    account lock — never charged.
    """
    now = now or timezone.now()
    contract = timing()
    active = TicketImprovement.objects.filter(status__in=ACTIVE_IMPROVEMENT)
    dead = (
        Q(status=ImprovementStatus.RUNNING,
          started_at__lt=now - contract.seconds("hard_limit") - contract.seconds("lease"))
        | ~Q(hold__status=HoldStatus.PENDING)
    )
    failed = 0
    for improvement_id, hold_id, status in active.filter(dead).values_list(
            "pk", "hold_id", "status")[:BATCH]:
        with transaction.atomic():
            lock_hold_account(hold_id=hold_id)
            if TicketImprovement.objects.filter(pk=improvement_id, status=status).update(
                    status=ImprovementStatus.FAILED, error_code="interrupted", finished_at=now):
                release_hold(hold=Hold.objects.get(pk=hold_id), reason="improvement interrupted")
                failed += 1
    stale = now - contract.seconds("lease")
    waiting = active.filter(status=ImprovementStatus.QUEUED, dispatched_at__lt=stale)
    for improvement_id, dispatched_at in waiting.values_list("pk", "dispatched_at")[:BATCH]:
        if TicketImprovement.objects.filter(pk=improvement_id,
                                            dispatched_at=dispatched_at).update(
                dispatched_at=now):
            dispatch_improvement(improvement_id)
    return failed
