"""Reads about batches: a workspace's batches, a batch's rows, its cost and progress."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from tickets.models import Batch, BatchRow, RowStatus
from tickets.quotes import ticket_price
from tokens.exceptions import UnknownPrice

# A draft's rows that would run if it were confirmed.
RUNNABLE = (RowStatus.VALID, RowStatus.PENDING)


def batches_of_workspace(*, user_id: int, organization_id: int | None) -> QuerySet[Batch]:
    """A workspace's batches, newest first: the team's, or the person's own personal ones."""
    if organization_id is not None:
        batches = Batch.objects.filter(organization_id=organization_id)
    else:
        batches = Batch.objects.filter(owner_id=user_id, organization__isnull=True)
    return batches.order_by("-created_at", "-id")


def list_batches(*, user_id: int, organization_id: int | None) -> QuerySet[Batch]:
    """`batches_of_workspace` with each batch's row counts (`rows_total`, `rows_done`,
    `rows_succeeded`, `rows_invalid`) for a list page."""
    return batches_of_workspace(user_id=user_id, organization_id=organization_id).annotate(
        rows_total=Count("rows"),
        rows_invalid=Count("rows", filter=Q(rows__status=RowStatus.INVALID)),
        rows_succeeded=Count("rows", filter=Q(rows__status=RowStatus.SUCCEEDED)),
    )


def get_batch(*, public_id: str, user_id: int, organization_id: int | None) -> Batch | None:
    """The workspace's batch named `public_id`; None when there is none (another
    workspace's batch included)."""
    return (batches_of_workspace(user_id=user_id, organization_id=organization_id)
            .select_related("token_account", "organization", "owner")
            .filter(public_id=public_id).first())


def batch_rows(batch: Batch) -> QuerySet[BatchRow]:
    """The batch's rows in file order, with their tickets."""
    return batch.rows.select_related("ticket").order_by("number")


def batch_cost(batch: Batch) -> int:
    """Tokens the batch's valid rows cost at today's prices (each row is charged when it
    succeeds). Raises UnknownPrice when a quality in it has no active price."""
    counts = (batch.rows.filter(status__in=RUNNABLE).values("quality")
              .annotate(rows=Count("id")).order_by())
    return sum(ticket_price(count["quality"]) * count["rows"] for count in counts)


def batch_cost_or_none(batch: Batch) -> int | None:
    """`batch_cost`, or None when a quality in it cannot be bought right now."""
    try:
        return batch_cost(batch)
    except UnknownPrice:
        return None


@dataclass(frozen=True)
class BatchProgress:
    total: int
    invalid: int
    runnable: int  # valid rows, waiting to start, or generating
    started: int
    succeeded: int
    failed: int
    not_enough: int
    limit_reached: int
    cancelled: int

    @property
    def valid(self) -> int:
        return self.total - self.invalid

    @property
    def settled(self) -> int:
        return self.succeeded + self.failed + self.not_enough + self.limit_reached \
            + self.cancelled

    @property
    def active(self) -> bool:
        """Some row may still change (the progress page keeps polling)."""
        return self.started > 0 or self.runnable > 0

    @property
    def percent(self) -> int:
        return round(100 * self.settled / self.valid) if self.valid else 100


def batch_progress(batch: Batch) -> BatchProgress:
    """How many of the batch's rows are in each state (one query)."""
    counts = dict(batch.rows.values_list("status").annotate(n=Count("id")).order_by())
    return BatchProgress(
        total=sum(counts.values()),
        invalid=counts.get(RowStatus.INVALID, 0),
        runnable=counts.get(RowStatus.VALID, 0) + counts.get(RowStatus.PENDING, 0),
        started=counts.get(RowStatus.STARTED, 0),
        succeeded=counts.get(RowStatus.SUCCEEDED, 0),
        failed=counts.get(RowStatus.FAILED, 0),
        not_enough=counts.get(RowStatus.NOT_ENOUGH, 0),
        limit_reached=counts.get(RowStatus.LIMIT_REACHED, 0),
        cancelled=counts.get(RowStatus.CANCELLED, 0),
    )
