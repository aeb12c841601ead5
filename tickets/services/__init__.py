"""Every write for tickets. Split by concern; import from here (`from tickets import services`)."""

from tickets.services.editing import (
    delete_ticket,
    move_visitor_tickets,
    rate_ticket,
    update_ticket_content,
)
from tickets.services.requesting import (
    SubmitStep,
    hold_ttl,
    price_key,
    request_ticket_generation,
    submit_ticket_request,
)
from tickets.services.running import (
    FAILURE_MESSAGES,
    record_attempt,
    run_ticket_generation,
    sweep_stuck_tickets,
)

__all__ = [
    "FAILURE_MESSAGES",
    "SubmitStep",
    "delete_ticket",
    "hold_ttl",
    "move_visitor_tickets",
    "price_key",
    "rate_ticket",
    "record_attempt",
    "request_ticket_generation",
    "run_ticket_generation",
    "submit_ticket_request",
    "sweep_stuck_tickets",
    "update_ticket_content",
]
