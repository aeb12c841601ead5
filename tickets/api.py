"""The public API's ticket endpoints (`/api/v1/tickets`, `/api/v1/prices`).

They call the same services and selectors as the generator and the library: the request is
checked by the generator's form, paid by `request_ticket_generation` (one hold, the key's
budgets checked in it), edits are checked by the ticket schema and saved as versions.
"""

import uuid
from datetime import datetime
from typing import Literal

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema
from ninja import Status as Answer
from ninja.errors import ValidationError

from accounts.apikeys.auth import KeyAuth
from accounts.apikeys.limits import key_limits
from accounts.models import User
from accounts.teams.models import Organization
from config.api_errors import ERRORS, ApiError
from tickets import services
from tickets.exports import EXPORT_FORMATS
from tickets.forms import DESCRIPTION_MAX, DESCRIPTION_MIN, GenerateForm, keep_origins
from tickets.kinds import kind_values
from tickets.models import (
    ACTIVE_STATUSES,
    CONTENT_FIELDS,
    Quality,
    Status,
    Ticket,
    is_public_id,
)
from tickets.models.splits import MAX_CHILDREN, MIN_CHILDREN
from tickets.providers.schema import TicketSchemaError, validate_ticket
from tickets.quotes import ticket_prices
from tickets.selectors import tickets_of_workspace, with_children
from tickets.ticket_templates.selectors import TemplateChoice, find_template
from tokens.exceptions import AccountClosed, UnknownPrice
from tokens.models import TokenAccount

router = Router(tags=["tickets"])
NONCE_NAMESPACE = uuid.UUID("8a0f3c9e-35d2-4c8e-9d7b-6a4d8f1e2b10")
PAGE_MAX = 100

# What the schema can say about a request; the generator's form (run on every request) has
# the last word, with rules a JSON schema cannot express (words, not only characters).
KindName = Literal[kind_values()]
QualityName = Literal[tuple(Quality.values)]


class TicketIn(Schema):
    description: str = Field(..., min_length=DESCRIPTION_MIN, max_length=DESCRIPTION_MAX,
                             description="What the ticket is about, in a few sentences.")
    type: KindName = Field("story", description="The kind of ticket.")
    quality: QualityName = Field("standard", description="See /prices for what each costs.")
    product_area: str = Field("", max_length=100)
    tech_stack: str = Field("", max_length=200)
    max_stories: int = Field(MAX_CHILDREN, ge=MIN_CHILDREN, le=MAX_CHILDREN,
                             description="An epic only: it is split into 3 to this many "
                                         "stories, each reserved when it is created; the "
                                         "ones the plan does not need, and any that fail, "
                                         "are given back.")
    template: str | None = Field(
        None, max_length=40,
        description="A ticket template's id (a built-in's, e.g. `bug-report`, or one saved in "
                    "the key's workspace): its sections, labels, priority scheme, criteria "
                    "style and Definition of Ready apply. Without `type`, the template's type.")


class Criterion(Schema):
    given: str = ""
    when: str = ""
    then: str = ""


class TicketOut(Schema):
    id: str
    status: str
    type: str
    quality: str
    cost: int
    description: str
    product_area: str
    tech_stack: str
    title: str
    summary: str
    user_story: str
    acceptance_criteria: list[dict]
    priority: str
    labels: list[str]
    story_points: int | None
    technical_notes: str
    steps_to_reproduce: list[str]
    expected_behaviour: str
    actual_behaviour: str
    scope: list[str]
    out_of_scope: list[str]
    success_measures: list[str]
    parent: str | None = Field(None, description="The epic (or story) this ticket is part of.")
    children: list[str] = Field([], description="An epic's stories (a story's sub-tasks), "
                                                "in plan order, as they are created.")
    quality_score: int | None
    template: str | None  # the id of the template it was made with, if any
    error_code: str
    error_message: str
    created_at: datetime
    finished_at: datetime | None
    url: str


class TicketCreated(TicketOut):
    status_url: str


class TicketPage(Schema):
    tickets: list[TicketOut]
    next_cursor: str | None


class TicketPatch(Schema):
    title: str | None = None
    summary: str | None = None
    user_story: str | None = None
    acceptance_criteria: list[dict] | None = None
    priority: str | None = None
    labels: list[str] | None = None
    story_points: int | None = None
    technical_notes: str | None = None
    steps_to_reproduce: list[str] | None = None
    expected_behaviour: str | None = None
    actual_behaviour: str | None = None


class PriceOut(Schema):
    quality: str
    tokens: int


def _out(request, ticket: Ticket) -> dict:
    content = ticket.content()
    return {
        **content, "id": ticket.public_id, "status": ticket.status,
        "quality": ticket.quality, "cost": ticket.cost, "description": ticket.description,
        "product_area": ticket.product_area, "tech_stack": ticket.tech_stack,
        "quality_score": ticket.quality_score, "error_code": ticket.error_code,
        "template": (ticket.template_snapshot or {}).get("id"),
        "error_message": ticket.error_message, "created_at": ticket.created_at,
        "finished_at": ticket.finished_at,
        "parent": ticket.parent.public_id if ticket.parent_id else None,
        "children": [child.public_id for child in sorted(ticket.children.all(),
                                                         key=lambda child: child.position)],
        "url": request.build_absolute_uri(reverse("tickets:detail", args=[ticket.public_id])),
    }


def _tickets(auth: KeyAuth):
    return tickets_of_workspace(user_id=auth.owner_id, organization_id=auth.organization_id)


def _ticket(auth: KeyAuth, public_id: str) -> Ticket:
    ticket = (_tickets(auth).filter(public_id=public_id.lower()).first()
              if is_public_id(public_id.lower()) else None)
    if ticket is None:
        raise Http404
    return ticket


def _template(auth: KeyAuth, payload: TicketIn) -> TemplateChoice | None:
    """The template the request names, checked like the generator's choice: 404 when the
    key's workspace cannot use it (another person's or team's looks the same as none), 422
    when it is for another type than the one asked for."""
    if payload.template is None:
        return None
    choice = find_template(payload.template.strip().lower(), user_id=auth.owner_id,
                           organization_id=auth.organization_id)
    if choice is None:
        raise ApiError(404, "template_not_found",
                       "No template with this id is available in this key's workspace.",
                       {"template": payload.template})
    if "type" in payload.model_fields_set and payload.type != choice.spec.ticket_type:
        raise ApiError(422, "template_type_mismatch",
                       f"The “{choice.spec.name}” template is for {choice.spec.ticket_type} "
                       f"tickets; send type {choice.spec.ticket_type!r} or leave type out.",
                       {"template": choice.id, "type": choice.spec.ticket_type})
    return choice


def _form_errors(form) -> ValidationError:
    names = {"ticket_type": "type"}
    return ValidationError([
        {"loc": ("body", names.get(field, field) if field != "__all__" else ""), "msg": message}
        for field, messages in form.errors.items() for message in messages])


@router.post("", response={202: TicketCreated, **ERRORS}, url_name="tickets_create",
             summary="Generate a ticket")
def create_ticket(request, payload: TicketIn,
                  idempotency_key: str | None = Header(None, alias="Idempotency-Key",
                                                       max_length=255)):
    """Reserve the ticket's price and queue its generation; poll `status_url` until
    `status` is `succeeded` or `failed` (a failed ticket costs nothing). The same
    `Idempotency-Key` with the same body returns the first ticket and reserves nothing
    more; with a different body it is refused (409)."""
    auth: KeyAuth = request.auth
    auth.require("tickets:write")
    nonce = (uuid.uuid5(NONCE_NAMESPACE, idempotency_key) if idempotency_key
             else uuid.uuid4())
    template = _template(auth, payload)
    ticket_type = (template.spec.ticket_type if template and "type" not in payload.model_fields_set
                   else payload.type)
    form = GenerateForm({"description": payload.description, "ticket_type": ticket_type,
                         "quality": payload.quality, "product_area": payload.product_area,
                         "tech_stack": payload.tech_stack, "nonce": str(nonce)})
    if not form.is_valid():
        raise _form_errors(form)
    data = form.cleaned_data
    organization = (Organization.objects.select_related("token_account")
                    .get(pk=auth.organization_id) if auth.organization_id else None)
    try:
        ticket = services.request_ticket_generation(
            account=TokenAccount(pk=auth.account_id),
            owner=User(pk=auth.owner_id),
            organization=organization,
            limits=key_limits(key_id=auth.key_id, now=timezone.now()),
            spender=auth.spender,
            ticket_type=data["ticket_type"], quality=data["quality"],
            description=data["description"], product_area=data["product_area"],
            tech_stack=data["tech_stack"], nonce=nonce, template=template,
            max_children=payload.max_stories if data["ticket_type"] == "epic" else None,
        )
    except services.IdempotencyConflict as error:
        raise ApiError(409, "idempotency_conflict",
                       "This Idempotency-Key was already used with a different request.",
                       {"ticket": error.ticket.public_id}) from error
    except UnknownPrice as error:
        raise ApiError(422, "quality_unavailable",
                       "This quality is not available right now.") from error
    except AccountClosed as error:
        raise ApiError(403, "account_closed",
                       "This token account is closed, so it cannot pay for tickets.") from error
    body = _out(request, ticket) | {"status_url": request.build_absolute_uri(
        reverse("api:tickets_get", args=[ticket.public_id]))}
    return Answer(202, body)


@router.get("", response={200: TicketPage, **ERRORS}, url_name="tickets_list",
            summary="List tickets")
def list_tickets(request, status: Literal[tuple(Status.values)] | None = None,
                 type: KindName | None = None,  # noqa: A002 (the API's field name)
                 cursor: str | None = Query(None, max_length=200),
                 limit: int = Query(20, ge=1, le=PAGE_MAX)):
    """The workspace's tickets, newest first, `limit` at a time: pass `next_cursor` back as
    `cursor` for the next page (stable while tickets are added)."""
    auth: KeyAuth = request.auth
    auth.require("tickets:read")
    tickets = _tickets(auth).order_by("-id").select_related("parent").prefetch_related(
        Prefetch("children", Ticket.objects.only("public_id", "parent_id").order_by("position")))
    if status:
        tickets = tickets.filter(status=status)
    if type:
        tickets = tickets.filter(ticket_type=type)
    if cursor:
        if not cursor.isdigit() or len(cursor) > 18:
            raise ApiError(400, "bad_cursor", "This cursor is not one this API gave.")
        tickets = tickets.filter(id__lt=int(cursor))
    page = list(tickets[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"tickets": [_out(request, ticket) for ticket in page],
            "next_cursor": str(page[-1].pk) if more else None}


@router.get("/{public_id}", response={200: TicketOut, **ERRORS}, url_name="tickets_get",
            summary="Get a ticket")
def get_ticket(request, public_id: str):
    auth: KeyAuth = request.auth
    auth.require("tickets:read")
    return _out(request, _ticket(auth, public_id))


@router.patch("/{public_id}", response={200: TicketOut, **ERRORS}, url_name="tickets_patch",
              summary="Edit a finished ticket")
def patch_ticket(request, public_id: str, payload: TicketPatch):
    """Change some of a succeeded ticket's fields: saved as its next version, checked by the
    same schema and quality check as the editor. Fields left out keep their value."""
    auth: KeyAuth = request.auth
    auth.require("tickets:write")
    ticket = _ticket(auth, public_id)
    if ticket.status != Status.SUCCEEDED:
        raise ApiError(409, "not_editable", "Only a finished (succeeded) ticket can be edited.")
    changes = payload.dict(exclude_unset=True)
    data = ticket.content() | {field: value for field, value in changes.items()
                               if field in CONTENT_FIELDS}
    try:
        content = validate_ticket(data, ticket_type=ticket.ticket_type,
                                  template=ticket.template_spec)
    except TicketSchemaError as error:
        raise ValidationError([{"loc": ("body", message.split(" ", 1)[0]), "msg": message}
                               for message in error.errors]) from error
    content["acceptance_criteria"] = keep_origins(content["acceptance_criteria"],
                                                  ticket.acceptance_criteria)
    try:
        ticket = services.update_ticket_content(ticket=ticket, content=content)
    except services.ImprovementInProgress as error:
        raise ApiError(409, "improving", "This ticket is being improved; try again in a few "
                                         "seconds.") from error
    ticket.refresh_from_db()
    return _out(request, ticket)


@router.delete("/{public_id}", response={204: None, **ERRORS}, url_name="tickets_delete",
               summary="Delete a ticket")
def delete_ticket(request, public_id: str):
    auth: KeyAuth = request.auth
    auth.require("tickets:write")
    ticket = _ticket(auth, public_id)
    if ticket.status in ACTIVE_STATUSES or not services.delete_ticket(ticket=ticket):
        raise ApiError(409, "generating",
                       "This ticket is still being generated or improved; delete it once done.")
    return Answer(204, None)


@router.get("/{public_id}/export", response={200: None, **ERRORS}, url_name="tickets_export",
            summary="Export a ticket")
def export_ticket(request, public_id: str,
                  format: Literal["md", "json", "csv", "pdf"] = "md"):  # noqa: A002
    """The ticket as Markdown, JSON, Jira CSV or PDF: the same files as the web's export."""
    auth: KeyAuth = request.auth
    auth.require("tickets:read")
    ticket = _ticket(auth, public_id)
    if ticket.status != Status.SUCCEEDED:
        raise ApiError(409, "not_ready", "The ticket has no content yet: it has not succeeded.")
    export = EXPORT_FORMATS[format]
    response = HttpResponse(export.render(with_children([ticket])),
                            content_type=export.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{ticket.public_id}.{export.extension}"')
    return response


prices_router = Router(tags=["tokens"])


@prices_router.get("", response={200: list[PriceOut], **ERRORS}, url_name="prices",
                   summary="Ticket prices")
def prices(request):
    """Tokens one ticket costs, per quality (only qualities on sale now)."""
    return [{"quality": quality, "tokens": tokens}
            for quality, tokens in ticket_prices().items()]

