"""Asking for a ticket: the price, the hold and the queued ticket in one transaction.

Money rules (DESIGN.md, "Generate a ticket"): the tokens are reserved (a hold) in the same
transaction that creates the ticket; the generation task is enqueued after it commits.
`submit_ticket_request` decides, for the generator form, whether to ask first or go ahead.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import translation

from accounts.selectors import get_visitor_for_request
from accounts.teams.limits import describe_limit_reached, get_payer
from config.languages import TICKET_LANGUAGES
from tickets.kinds import get_kind
from tickets.models import Ticket
from tickets.models.splits import MAX_CHILDREN
from tickets.quotes import (
    GenerationQuote,
    epic_price_key,
    price_key,
    quote_generation,
    split_price,
    ticket_price,
)
from tickets.selectors import visible_tickets
from tickets.services.dispatch import dispatch_generation
from tickets.services.splitting import reserve_split
from tickets.timing import timing
from tokens.exceptions import AccountClosed, InsufficientTokens, LimitReached
from tokens.limits import SpendLimit
from tokens.models import TokenAccount
from tokens.services import reserve_tokens


class IdempotencyConflict(Exception):
    """A nonce (the form's, or an API Idempotency-Key) reused for a different request."""

    def __init__(self, ticket: Ticket):
        super().__init__("This idempotency key was already used with a different request.")
        self.ticket = ticket


def request_fingerprint(*, ticket_type: str, quality: str, description: str,
                        product_area: str = "", tech_stack: str = "",
                        clarifications: list[dict] | None = None,
                        regenerated_from: Ticket | None = None,
                        max_children: int | None = None,
                        template: str | None = None) -> str:
    """SHA-256 of what a generation request asks for, kept beside its nonce: a resent
    request matches it, a different request under the same nonce does not."""
    asked = {
        "ticket_type": ticket_type, "quality": quality, "description": description,
        "product_area": product_area, "tech_stack": tech_stack,
        "clarifications": clarifications or [],
        "regenerated_from": regenerated_from.pk if regenerated_from is not None else None,
        # Only when chosen: requests without a template keep the fingerprints they had.
        **({"template": template} if template else {}),
    }
    if max_children is not None:
        asked["max_children"] = max_children
    canonical = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_ticket_generation(
    *,
    account: TokenAccount,
    owner=None,
    visitor=None,
    ticket_type: str,
    quality: str,
    description: str,
    product_area: str = "",
    tech_stack: str = "",
    nonce: uuid.UUID,
    regenerated_from: Ticket | None = None,
    clarifications: list[dict] | None = None,
    organization=None,
    limits: tuple[SpendLimit, ...] = (),
    spender: str | None = None,
    max_children: int | None = None,
    template=None,
    language: str | None = None,
) -> Ticket:
    """Create a queued ticket paid by `account` and enqueue its generation (with the answers
    to clarifying questions, `clarifications`, stored on it and read by the generator).

    Writes (one transaction, the TokenAccount row locked first): the Ticket (`queued`) and a
    pending Hold for the price of `quality` (key `ticket:<id>:hold`, feature `ticket.<quality>`,
    spender the owner or visitor, lasting TICKETS_HOLD_TTL_SECONDS); on commit sends the
    generation to the workers (a broker outage leaves it to the recovery sweep). A team's
    ticket (`organization`, paid from its pool) is reserved within `limits` — checked under
    the pool's lock, so parallel submits cannot overshoot a member's limit — and on commit
    the team's limit alerts are checked. `spender` names who spends on the hold (default:
    the owner or visitor; an API key passes `apikey:<id>`). An epic (its price key
    `ticket.epic.<quality>`) also reserves, in the same transaction, its split: one hold per
    possible story, up to `max_children` (default 8; `splitting.reserve_split`).
    Guarantees: the same `nonce` on the same account with the same request
    (`request_fingerprint`) returns the ticket made by the first call (double click, resent
    form, retried API call) and reserves nothing more; with a different request it raises
    IdempotencyConflict. Raises InsufficientTokens / LimitReached / AccountClosed /
    UnknownPrice, leaving nothing written.

    `template` (a `TemplateChoice` the caller checked the workspace may use) is linked and its
    settings snapshotted on the ticket (`Ticket.template`, `Ticket.template_snapshot`): the
    generation and every later quality check read that snapshot.
    """
    fingerprint = request_fingerprint(
        ticket_type=ticket_type, quality=quality, description=description,
        product_area=product_area, tech_stack=tech_stack, clarifications=clarifications,
        regenerated_from=regenerated_from, max_children=max_children,
        template=template.id if template else None)
    if spender is None:
        spender = f"user:{owner.pk}" if owner is not None else f"visitor:{visitor.pk}"
    try:
        ticket = _create_ticket(
            account=account, owner=owner, visitor=visitor, nonce=nonce,
            ticket_type=ticket_type, quality=quality, description=description,
            product_area=product_area, tech_stack=tech_stack,
            regenerated_from=regenerated_from, clarifications=clarifications,
            organization=organization, limits=limits, spender=spender,
            request_hash=fingerprint, max_children=max_children,
            template=template.template if template else None,
            template_snapshot=template.spec.to_dict() if template else None,
            language=language or ticket_language(owner),
        )
    except IntegrityError:
        # The same request, sent at the same moment, committed its ticket after this one
        # looked (the unique nonce per account decides): that ticket is the answer.
        ticket = Ticket.objects.filter(token_account=account, nonce=nonce).first()
        if ticket is None:
            raise
    if ticket.request_hash and ticket.request_hash != fingerprint:
        raise IdempotencyConflict(ticket)
    return ticket


def ticket_language(owner) -> str:
    """The language a new ticket is written in: the owner's ticket-language setting, else
    their interface language, else the one this request is served in (the browser's)."""
    chosen = (getattr(owner, "ticket_language", "") or getattr(owner, "language", "")
              or translation.get_language() or settings.LANGUAGE_CODE)
    return chosen if chosen in TICKET_LANGUAGES else "en"


def _create_ticket(*, account: TokenAccount, owner, visitor, nonce: uuid.UUID, quality: str,
                   clarifications: list[dict] | None, organization,
                   limits: tuple[SpendLimit, ...], spender: str, max_children: int | None,
                   **fields) -> Ticket:
    kind = get_kind(fields["ticket_type"])
    if kind.epic:
        price = split_price(quality, max_children=max_children or MAX_CHILDREN, with_epic=True)
        cost, feature_key = price.own, epic_price_key(quality)
    else:
        cost, feature_key = ticket_price(quality), price_key(quality)
    with transaction.atomic():
        # Serialises submissions on this account; the look for a resent form's ticket rides
        # on the same statement (a form sent twice at once is settled by the nonce's unique
        # constraint: see the caller).
        existing_id = (
            TokenAccount.objects.select_for_update(no_key=True)
            .annotate(existing=Subquery(
                Ticket.objects.filter(token_account=OuterRef("pk"), nonce=nonce).values("pk")[:1]
            ))
            .values_list("existing", flat=True)
            .get(pk=account.pk)
        )
        if existing_id is not None:
            return Ticket.objects.get(pk=existing_id)
        ticket = Ticket.objects.create(
            owner=owner,
            visitor=visitor,
            token_account=account,
            organization=organization,
            cost=cost,
            nonce=nonce,
            quality=quality,
            clarifications=clarifications or [],
            **fields,
        )
        ticket.hold = reserve_tokens(
            account=account,
            amount=cost,
            idempotency_key=f"ticket:{ticket.pk}:hold",
            reference=ticket.reference,
            feature_key=feature_key,
            spender=spender,
            ttl=timing().seconds("hold_ttl"),
            limits=limits,
        )
        ticket.save(update_fields=["hold"])
        if kind.epic:
            reserve_split(account=account, parent=ticket, child_type=kind.splits_into,
                          max_children=price.max_children, each=price.each, spender=spender,
                          limits=limits)
        ticket_id = ticket.pk
        transaction.on_commit(lambda: dispatch_generation(ticket_id))
        if organization is not None:
            _check_team_limits_on_commit(organization.pk, owner.pk)
    return ticket


def _check_team_limits_on_commit(organization_id: int, user_id: int) -> None:
    from accounts.teams.tasks import check_team_limits_task

    transaction.on_commit(lambda: check_team_limits_task.delay(organization_id, user_id))


class SubmitStep(StrEnum):
    """What the generator shows after a submit."""

    STARTED = "started"  # the ticket is queued (or a resent form's ticket already was)
    CONFIRM = "confirm"  # ask before spending more than one token, or the last ones
    NOT_ENOUGH = "not_enough"
    UNAVAILABLE = "unavailable"  # this quality has no active price
    ACCOUNT_CLOSED = "account_closed"
    LIMIT_REACHED = "limit_reached"  # a team member's limit or the team's budget
    NOT_ALLOWED = "not_allowed"  # a team viewer: reads, cannot spend
    CONFLICT = "conflict"  # this form's nonce already made a ticket for a different request


@dataclass(frozen=True)
class Submission:
    step: SubmitStep
    quote: GenerationQuote | None  # None for a resent form (its ticket is all that matters)
    ticket: Ticket | None = None
    message: str = ""  # LIMIT_REACHED, NOT_ALLOWED: what to tell the person


def submit_ticket_request(
    *,
    request: HttpRequest,
    ticket_type: str,
    quality: str,
    description: str,
    product_area: str = "",
    tech_stack: str = "",
    nonce: uuid.UUID,
    confirmed: bool = False,
    regenerated_from: Ticket | None = None,
    clarifications: list[dict] | None = None,
    max_children: int | None = None,
    template=None,
) -> Submission:
    """The generator form's submit: start the generation, or say what to show instead.

    A nonce this request's tickets already carry (a resent form) returns that ticket and
    writes nothing. The price and the shown balance are read once; an unknown price, a short
    balance, or an unconfirmed spend of more than one token (or of the last tokens) returns
    that step and writes nothing. Else it writes what `get_paying_account` writes (a
    visitor and its free grant, on a visitor's first costed action) and what
    `request_ticket_generation` writes (the queued ticket and its hold, one transaction).
    """
    max_children = (max_children or MAX_CHILDREN) if get_kind(ticket_type).epic else None
    quote = quote_generation(request, quality=quality, max_children=max_children)
    step = None
    if quote.cost is None:
        step = SubmitStep.UNAVAILABLE
    elif quote.not_enough:
        step = SubmitStep.NOT_ENOUGH
    elif quote.needs_confirmation and not confirmed:
        step = SubmitStep.CONFIRM
    if step is not None:
        # A resent form whose ticket took the last tokens still shows that ticket. (Going
        # ahead, the look for it is part of taking the account's lock.)
        existing = visible_tickets(request).filter(nonce=nonce).first()
        if existing is not None:
            return Submission(SubmitStep.STARTED, None, existing)
        return Submission(step, quote)
    signed_in = request.user.is_authenticated
    try:
        payer = get_payer(request)
        ticket = request_ticket_generation(
            account=payer.account,
            owner=request.user if signed_in else None,
            visitor=None if signed_in else get_visitor_for_request(request),
            organization=payer.organization,
            limits=payer.limits,
            ticket_type=ticket_type,
            quality=quality,
            description=description,
            product_area=product_area,
            tech_stack=tech_stack,
            nonce=nonce,
            regenerated_from=regenerated_from,
            clarifications=clarifications,
            max_children=max_children,
            template=template,
        )
    except InsufficientTokens as error:
        return Submission(SubmitStep.NOT_ENOUGH, replace(quote, balance=error.available))
    except AccountClosed:
        return Submission(SubmitStep.ACCOUNT_CLOSED, quote)
    except LimitReached as error:
        return Submission(SubmitStep.LIMIT_REACHED, quote, message=describe_limit_reached(
            error.limit, used=error.used, needed=error.needed))
    except PermissionDenied as error:
        return Submission(SubmitStep.NOT_ALLOWED, quote, message=str(error))
    except IdempotencyConflict:
        return Submission(SubmitStep.CONFLICT, quote, message=(
            "This form was already sent with a different description. "
            "Reload the page to make another ticket."))
    return Submission(SubmitStep.STARTED, quote, ticket)
