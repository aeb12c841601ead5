"""The public API's batch endpoints (`/api/v1/batches`): upload a CSV, read the preview,
confirm, follow, cancel and download the results — the same services as the batch pages."""

from datetime import datetime
from typing import Literal

from django.http import Http404
from ninja import File, Router, Schema
from ninja import Status as Answer
from ninja.files import UploadedFile

from accounts.apikeys.auth import KeyAuth
from accounts.models import User
from accounts.teams.models import Organization
from config.api_errors import ERRORS, ApiError
from tickets.batches import MAX_FILE_BYTES, selectors, services
from tickets.batches.exports import results_response
from tickets.models import Batch, RowStatus, is_public_id
from tokens.exceptions import AccountClosed, UnknownPrice
from tokens.models import TokenAccount

router = Router(tags=["batches"])


class RowOut(Schema):
    number: int
    status: str
    description: str
    type: str
    quality: str
    errors: list[str]
    message: str
    ticket: str | None


class BatchOut(Schema):
    id: str
    status: str
    filename: str
    cost_to_run: int | None  # the rows still to start, at today's prices (None: unpriced)
    spent: int  # what its succeeded rows cost
    rows_total: int
    rows_valid: int
    rows_succeeded: int
    rows_failed: int
    rows_waiting: int
    created_at: datetime
    confirmed_at: datetime | None
    finished_at: datetime | None
    rows: list[RowOut]


def _out(batch: Batch) -> dict:
    progress = selectors.batch_progress(batch)
    rows = list(selectors.batch_rows(batch))
    return {
        "id": batch.public_id, "status": batch.status, "filename": batch.filename,
        "cost_to_run": selectors.batch_cost_or_none(batch),
        "spent": sum(row.ticket.cost for row in rows
                     if row.ticket is not None and row.status == RowStatus.SUCCEEDED),
        "rows_total": progress.total,
        "rows_valid": progress.valid, "rows_succeeded": progress.succeeded,
        "rows_failed": progress.failed + progress.not_enough + progress.limit_reached,
        "rows_waiting": progress.runnable + progress.started,
        "created_at": batch.created_at, "confirmed_at": batch.confirmed_at,
        "finished_at": batch.finished_at,
        "rows": [{"number": row.number, "status": row.status, "description": row.description,
                  "type": row.ticket_type, "quality": row.quality, "errors": row.errors,
                  "message": row.message,
                  "ticket": row.ticket.public_id if row.ticket else None}
                 for row in rows],
    }


def _batch(auth: KeyAuth, public_id: str) -> Batch:
    batch = (selectors.get_batch(public_id=public_id.lower(), user_id=auth.owner_id,
                                 organization_id=auth.organization_id)
             if is_public_id(public_id.lower()) else None)
    if batch is None:
        raise Http404
    return batch


@router.post("", response={201: BatchOut, **ERRORS}, url_name="batches_create",
             summary="Upload a CSV batch")
def create_batch(request, file: File[UploadedFile]):
    """A CSV (`multipart/form-data`, field `file`) of up to 500 rows with the columns
    `description`, `type`, `quality` and optionally `product_area`, `tech_stack`
    (or `context`), `labels` (`;`-separated). Answers the preview: each row valid or with its
    errors, and the cost of the valid rows. Nothing is reserved until it is confirmed."""
    auth: KeyAuth = request.auth
    auth.require("tickets:write")
    organization = (Organization.objects.get(pk=auth.organization_id)
                    if auth.organization_id else None)
    try:
        batch = services.create_batch(
            owner=User(pk=auth.owner_id), organization=organization,
            token_account=TokenAccount(pk=auth.account_id), spender=auth.spender,
            filename=file.name or "", data=file.read(MAX_FILE_BYTES + 1))
    except services.BatchInvalid as error:
        raise ApiError(422, "invalid_csv", error.message) from error
    return Answer(201, _out(batch))


@router.get("/{public_id}", response={200: BatchOut, **ERRORS}, url_name="batches_get",
            summary="Get a batch and its rows")
def get_batch(request, public_id: str):
    auth: KeyAuth = request.auth
    auth.require("tickets:read")
    return _out(_batch(auth, public_id))


@router.post("/{public_id}/confirm", response={202: BatchOut, **ERRORS},
             url_name="batches_confirm", summary="Confirm a batch")
def confirm_batch(request, public_id: str):
    """Start the batch's valid rows: the available tokens must cover them all (else 402).
    Each row reserves its own tokens when it starts; a failed row is never charged."""
    auth: KeyAuth = request.auth
    auth.require("tickets:write")
    batch = _batch(auth, public_id)
    try:
        batch = services.confirm_batch(batch=batch)
    except services.BatchNotRunnable as error:
        raise ApiError(409, "not_runnable", error.message) from error
    except UnknownPrice as error:
        raise ApiError(409, "quality_unavailable",
                       "A quality in this batch is not available right now.") from error
    except AccountClosed as error:
        raise ApiError(403, "account_closed", "This token account is closed.") from error
    return Answer(202, _out(batch))


@router.post("/{public_id}/cancel", response={200: BatchOut, **ERRORS},
             url_name="batches_cancel", summary="Cancel a batch")
def cancel_batch(request, public_id: str):
    """Rows not started yet are cancelled (they hold nothing); started rows finish."""
    auth: KeyAuth = request.auth
    auth.require("tickets:write")
    return _out(services.cancel_batch(batch=_batch(auth, public_id)))


@router.get("/{public_id}/results", response={200: None, **ERRORS}, url_name="batches_results",
            summary="Download a batch's results")
def batch_results(request, public_id: str,
                  format: Literal["csv", "md", "json", "pdf"] = "csv"):  # noqa: A002
    """`csv`: one line per row (status, ticket id, title, error); `md`, `json` or `pdf`: a
    ZIP of every succeeded ticket in that format, with the CSV."""
    auth: KeyAuth = request.auth
    auth.require("tickets:read")
    batch = _batch(auth, public_id)
    return results_response(batch, selectors.batch_rows(batch), fmt=format)
