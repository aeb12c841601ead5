"""Every write for tickets. Split by concern; import from here (`from tickets import services`)."""

from tickets.services.dispatch import dispatch_generation
from tickets.services.editing import (
    delete_ticket,
    move_ticket_to_team,
    move_visitor_tickets,
    rate_ticket,
    update_ticket_content,
)
from tickets.services.improving import (
    AlreadyImproving,
    NothingToImprove,
    request_ticket_improvement,
    run_ticket_improvement,
    sweep_stuck_improvements,
)
from tickets.services.recovery import sweep_stuck_tickets
from tickets.services.requesting import (
    IdempotencyConflict,
    SubmitStep,
    request_ticket_generation,
    submit_ticket_request,
)
from tickets.services.running import (
    FAILURE_MESSAGES,
    fail_ticket,
    record_attempt,
    run_ticket_generation,
)
from tickets.services.scoring import rescore_tickets, score_ticket
from tickets.services.splitting import (
    CannotSplit,
    fail_split,
    request_ticket_split,
    run_split_planning,
    sweep_stuck_splits,
)
from tickets.services.versions import ImprovementInProgress, restore_ticket_version

__all__ = [
    "FAILURE_MESSAGES",
    "AlreadyImproving",
    "CannotSplit",
    "IdempotencyConflict",
    "ImprovementInProgress",
    "NothingToImprove",
    "SubmitStep",
    "delete_ticket",
    "dispatch_generation",
    "fail_split",
    "fail_ticket",
    "move_ticket_to_team",
    "move_visitor_tickets",
    "rate_ticket",
    "record_attempt",
    "request_ticket_generation",
    "request_ticket_improvement",
    "request_ticket_split",
    "rescore_tickets",
    "restore_ticket_version",
    "run_ticket_generation",
    "run_split_planning",
    "run_ticket_improvement",
    "score_ticket",
    "submit_ticket_request",
    "sweep_stuck_improvements",
    "sweep_stuck_splits",
    "sweep_stuck_tickets",
    "update_ticket_content",
]
