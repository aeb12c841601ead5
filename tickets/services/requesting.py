"""Asking for a ticket: the price, the hold and the queued ticket in one transaction.

Money rules (DESIGN.md, "Generate a ticket"): the tokens are reserved (a hold) in the same
transaction that creates the ticket; the generation task is enqueued after it commits.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from tickets.models import Ticket
from tokens.models import TokenAccount
from tokens.selectors import get_price
from tokens.services import reserve_tokens


def hold_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "TICKETS_HOLD_TTL_SECONDS", 600))


def price_key(quality: str) -> str:
    return f"ticket.{quality}"


def _enqueue(ticket_id: int) -> None:
    from tickets.tasks import generate_ticket_task

    generate_ticket_task.delay(ticket_id)


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
) -> Ticket:
    """Create a queued ticket paid by `account` and enqueue its generation.

    Writes (one transaction, the TokenAccount row locked first): the Ticket (`queued`) and a
    pending Hold for the price of `quality` (key `ticket:<id>:hold`); on commit enqueues
    `generate_ticket_task`. Guarantees: the same `nonce` on the same account returns the
    ticket made by the first call (double click, resent form) and reserves nothing more.
    Raises InsufficientTokens / AccountClosed / UnknownPrice, leaving nothing written.
    """
    cost = get_price(price_key(quality)).tokens
    with transaction.atomic():
        # Serialises submissions on this account, so a double submit finds the first ticket.
        TokenAccount.objects.select_for_update(no_key=True).get(pk=account.pk)
        existing = Ticket.objects.filter(token_account=account, nonce=nonce).first()
        if existing is not None:
            return existing
        ticket = Ticket.objects.create(
            owner=owner,
            visitor=visitor,
            token_account=account,
            cost=cost,
            nonce=nonce,
            ticket_type=ticket_type,
            quality=quality,
            description=description,
            product_area=product_area,
            tech_stack=tech_stack,
            regenerated_from=regenerated_from,
        )
        ticket.hold = reserve_tokens(
            account=account,
            amount=cost,
            idempotency_key=f"ticket:{ticket.pk}:hold",
            reference=ticket.reference,
            ttl=hold_ttl(),
        )
        ticket.save(update_fields=["hold"])
        ticket_id = ticket.pk
        transaction.on_commit(lambda: _enqueue(ticket_id))
    return ticket
