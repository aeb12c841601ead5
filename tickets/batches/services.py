"""Every write for batches: create (preview), confirm, advance (start rows), settle, cancel.

Money rules: nothing is reserved until a row starts; each row then reserves its own hold
through `request_ticket_generation`, in the transaction that marks it started, so a row that
fails is released on its own and a row that cannot reserve costs nothing. Locks follow the
house order: the batch's TokenAccount first, then its rows.
"""

import logging
import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from accounts.languages import in_language_of
from accounts.teams.limits import describe_limit_reached, limits_for_spender
from tickets.batches import concurrency
from tickets.batches.parsing import BatchInvalid, parse_batch_csv
from tickets.batches.selectors import batch_cost
from tickets.models import (
    ACTIVE_STATUSES,
    Batch,
    BatchRow,
    BatchStatus,
    RowStatus,
    Status,
    Ticket,
)
from tickets.services import IdempotencyConflict, request_ticket_generation
from tokens.exceptions import AccountClosed, InsufficientTokens, LimitReached, UnknownPrice
from tokens.limits import SpendLimit
from tokens.models import TokenAccount

logger = logging.getLogger(__name__)

# Row nonces are uuid5(this, "batch:<public id>:<number>"): a row started twice (a retried
# task) finds the ticket its first start made instead of paying again.
ROW_NONCE_NAMESPACE = uuid.UUID("49cc6405-8b6b-402a-88b2-73a4da4c8747")

__all__ = ["BatchInvalid", "BatchNotRunnable", "advance_batch", "cancel_batch",
           "confirm_batch", "create_batch", "row_nonce",
           "settle_batch_row"]


class BatchNotRunnable(Exception):
    """The batch cannot be confirmed: it has no valid row, or it was cancelled."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def row_nonce(batch: Batch, number: int) -> uuid.UUID:
    return uuid.uuid5(ROW_NONCE_NAMESPACE, f"batch:{batch.public_id}:{number}")


def create_batch(*, owner, organization, token_account: TokenAccount, spender: str,
                 filename: str, data: bytes) -> Batch:
    """Read the CSV `data` into a draft batch to preview.

    Writes (one transaction): the Batch (`draft`) and one BatchRow per CSV row, `valid` or
    `invalid` with its messages. Reserves nothing and locks nothing. Raises BatchInvalid
    (writing nothing) when the file as a whole cannot be read.
    """
    parsed = parse_batch_csv(data)
    with transaction.atomic():
        batch = Batch.objects.create(owner=owner, organization=organization,
                                     token_account=token_account, spender=spender,
                                     filename=filename[:255])
        BatchRow.objects.bulk_create(
            BatchRow(batch=batch, number=row.number, description=row.description,
                     ticket_type=row.ticket_type, quality=row.quality,
                     product_area=row.product_area, tech_stack=row.tech_stack,
                     labels=row.labels, errors=row.errors,
                     status=RowStatus.VALID if row.is_valid else RowStatus.INVALID)
            for row in parsed)
    return batch


def confirm_batch(*, batch: Batch) -> Batch:
    """Start a draft batch: its valid rows wait for their turn (`advance_batch`).

    Locks the batch's TokenAccount, then checks that its available tokens (balance - held)
    cover every valid row at today's prices — else raises InsufficientTokens (`needed`,
    `available`) and writes nothing. Writes: the batch `running` (conditional on `draft`) and
    its valid rows `pending`; on commit, sends `advance_batch_task`. Reserves nothing: each
    row reserves when it starts. Guarantees: confirming twice (a double click, two tabs at
    once) starts the batch once; the second call returns it as it is (and sends the advance
    again). Raises BatchNotRunnable (no valid row, or cancelled), PermissionDenied (the
    spender can no longer spend this pool), AccountClosed, UnknownPrice — all writing
    nothing.
    """
    limits_for_spender(spender=batch.spender, organization=batch.organization,
                       now=timezone.now())
    with transaction.atomic():
        account = TokenAccount.objects.select_for_update(no_key=True).get(
            pk=batch.token_account_id)
        # Read under the lock: a confirm that got it first has committed by now.
        current = Batch.objects.get(pk=batch.pk)
        if current.status == BatchStatus.CANCELLED:
            raise BatchNotRunnable(_("This batch was cancelled."))
        if current.status != BatchStatus.DRAFT:
            if current.status == BatchStatus.RUNNING:
                _advance_on_commit(batch.pk)  # harmless, and restarts one the broker missed
            return current
        if not current.rows.filter(status=RowStatus.VALID).exists():
            raise BatchNotRunnable(_("No row of this file can be generated: fix the rows marked "
                                     "invalid and upload it again."))
        if account.closed_at is not None:
            raise AccountClosed(account.pk)
        required = batch_cost(current)
        if account.available < required:
            raise InsufficientTokens(needed=required, available=account.available)
        Batch.objects.filter(pk=batch.pk, status=BatchStatus.DRAFT).update(
            status=BatchStatus.RUNNING, confirmed_at=timezone.now())
        current.rows.filter(status=RowStatus.VALID).update(status=RowStatus.PENDING)
        _advance_on_commit(batch.pk)
    return Batch.objects.get(pk=batch.pk)


def advance_batch(*, batch_id: int) -> int:
    """Start as many of the batch's pending rows as its concurrency allows; returns how many
    started.

    First settles started rows whose tickets finished without their signal (a worker that
    died after committing). Then, locking the batch's TokenAccount and the claimed rows
    (`skip_locked`, in file order), fills the free slots: BATCH_CONCURRENCY minus the rows
    whose tickets are still queued or generating. Each row becomes a ticket with its own hold
    (`request_ticket_generation`, nonce `row_nonce`) and `started`; a row that cannot reserve
    ends `not_enough` or `limit_reached`, one the spender may no longer pay for `failed`, all
    at no cost. When no row is pending or generating the batch is `finished` (a cancelled
    batch keeps its status and gets its `finished_at`). Safe to call any number of times,
    in parallel: the account lock and conditional updates start each row once. A row's
    refusal message is written in the uploader's language (a worker has no request to take
    it from).
    """
    batch = Batch.objects.select_related("organization", "owner").filter(pk=batch_id).first()
    if batch is None or batch.status == BatchStatus.DRAFT:
        return 0
    for ticket_id in (Ticket.objects.filter(batch_row__batch=batch,
                                            batch_row__status=RowStatus.STARTED)
                      .exclude(status__in=ACTIVE_STATUSES).values_list("pk", flat=True)):
        settle_batch_row(ticket_id=ticket_id)
    started = _start_rows(batch) if batch.status == BatchStatus.RUNNING else 0
    _finish_if_settled(batch)
    return started


def _start_rows(batch: Batch) -> int:
    try:
        limits, denied = limits_for_spender(spender=batch.spender,
                                            organization=batch.organization,
                                            now=timezone.now()), ""
    except PermissionDenied as error:
        with in_language_of(batch.owner):
            limits, denied = (), str(error)
    started = 0
    with transaction.atomic():
        account = TokenAccount.objects.select_for_update(no_key=True).get(
            pk=batch.token_account_id)
        if not Batch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).exists():
            return 0  # cancelled since it was read (cancel_batch takes the same lock)
        free = concurrency() - batch.rows.filter(
            status=RowStatus.STARTED, ticket__status__in=ACTIVE_STATUSES).count()
        while free > 0:
            rows = list(batch.rows.select_for_update(skip_locked=True)
                        .filter(status=RowStatus.PENDING).order_by("number")[:free])
            if not rows:
                break
            for row in rows:
                if _start_row(batch=batch, row=row, account=account, limits=limits,
                              denied=denied):
                    started += 1
                    free -= 1
    return started


def _start_row(*, batch: Batch, row: BatchRow, account: TokenAccount,
               limits: tuple[SpendLimit, ...], denied: str) -> bool:
    if denied:
        return _end_row(row, RowStatus.FAILED, denied)
    try:
        ticket = request_ticket_generation(
            account=account, owner=batch.owner, organization=batch.organization,
            limits=limits, spender=batch.spender, ticket_type=row.ticket_type,
            quality=row.quality, description=row.description,
            product_area=row.product_area, tech_stack=row.tech_stack,
            nonce=row_nonce(batch, row.number))
    except (InsufficientTokens, LimitReached, AccountClosed, UnknownPrice,
            IdempotencyConflict) as error:
        # Only the message takes the uploader's language: the ticket's own language was
        # decided above, as for any request.
        with in_language_of(batch.owner):
            status, message = _refusal(error)
        return _end_row(row, status, message)
    BatchRow.objects.filter(pk=row.pk, status=RowStatus.PENDING).update(
        status=RowStatus.STARTED, ticket=ticket, started_at=timezone.now())
    if not ticket.is_active:
        settle_batch_row(ticket_id=ticket.pk)
    return True


def _refusal(error: Exception) -> tuple[str, str]:
    """The row's end state and message for a start `request_ticket_generation` refused."""
    if isinstance(error, InsufficientTokens):
        return RowStatus.NOT_ENOUGH, _(
            "Not enough tokens when its turn came: %(needed)s needed, %(available)s "
            "available. Nothing was charged.") % {"needed": error.needed,
                                                  "available": error.available}
    if isinstance(error, LimitReached):
        return RowStatus.LIMIT_REACHED, describe_limit_reached(
            error.limit, used=error.used, needed=error.needed)
    if isinstance(error, AccountClosed):
        return RowStatus.FAILED, _("The paying account is closed.")
    if isinstance(error, UnknownPrice):
        return RowStatus.FAILED, _("This quality is not available right now. Nothing was "
                                   "charged.")
    return RowStatus.FAILED, _("This row was already started differently.")


def _end_row(row: BatchRow, status: str, message: str) -> bool:
    BatchRow.objects.filter(pk=row.pk, status=RowStatus.PENDING).update(
        status=status, message=message[:300], finished_at=timezone.now())
    return False


def _finish_if_settled(batch: Batch) -> None:
    if batch.rows.filter(status__in=(RowStatus.PENDING, RowStatus.STARTED)).exists():
        return
    now = timezone.now()
    Batch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(
        status=BatchStatus.FINISHED, finished_at=now)
    Batch.objects.filter(pk=batch.pk, status=BatchStatus.CANCELLED,
                         finished_at__isnull=True).update(finished_at=now)


def settle_batch_row(*, ticket_id: int) -> bool:
    """Record a finished ticket's outcome on its batch row; False when it has none to settle
    (not a batch's ticket, still generating, or already settled).

    Reads the row, then its ticket's outcome as stored (every finished ticket asks, and
    most have no row: that read is the only one they pay for). Writes
    the row `succeeded` or `failed` (with the ticket's error message) by a conditional update
    on `started`, so a repeated signal changes nothing; on commit sends `advance_batch_task`
    for the batch (a slot is free). Locks nothing else.
    """
    row = (BatchRow.objects.filter(ticket_id=ticket_id, status=RowStatus.STARTED)
           .only("pk", "batch_id").first())
    if row is None:
        return False
    ticket = Ticket.objects.only("status", "error_message").get(pk=ticket_id)
    if ticket.status not in (Status.SUCCEEDED, Status.FAILED):
        return False
    succeeded = ticket.status == Status.SUCCEEDED
    with transaction.atomic():
        updated = BatchRow.objects.filter(pk=row.pk, status=RowStatus.STARTED).update(
            status=RowStatus.SUCCEEDED if succeeded else RowStatus.FAILED,
            message="" if succeeded else ticket.error_message[:300],
            finished_at=timezone.now())
        if updated:
            _advance_on_commit(row.batch_id)
    return bool(updated)


def cancel_batch(*, batch: Batch) -> Batch:
    """Stop a draft or running batch: rows not started yet end `cancelled` (they hold
    nothing, so nothing is released or charged); started rows finish and settle as usual.

    Locks the batch's TokenAccount (the order `advance_batch` takes), then writes the batch
    `cancelled` (conditional on draft or running; its `finished_at` once no row is still
    generating) and its waiting rows `cancelled`. A finished or cancelled batch is returned
    unchanged.
    """
    with transaction.atomic():
        TokenAccount.objects.select_for_update(no_key=True).filter(
            pk=batch.token_account_id).first()
        updated = Batch.objects.filter(
            pk=batch.pk, status__in=(BatchStatus.DRAFT, BatchStatus.RUNNING),
        ).update(status=BatchStatus.CANCELLED)
        if updated:
            BatchRow.objects.filter(
                batch_id=batch.pk, status__in=(RowStatus.VALID, RowStatus.PENDING),
            ).update(status=RowStatus.CANCELLED, finished_at=timezone.now())
            _finish_if_settled(batch)
    return Batch.objects.get(pk=batch.pk)


def _advance_on_commit(batch_id: int) -> None:
    transaction.on_commit(lambda: _send_advance(batch_id))


def _send_advance(batch_id: int) -> None:
    from tickets.batches.tasks import advance_batch_task

    try:
        advance_batch_task.delay(batch_id)
    except BrokerUnavailable:
        # The rows are stored: the next settled row, or confirming again, sends it.
        logger.warning("batch %s: broker unavailable, not advanced now", batch_id)
