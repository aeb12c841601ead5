"""The quality check: a ticket's fields scored against named rules, free and deterministic.

`check_ticket` runs every rule that applies to the ticket (its kind, its language) and returns
a `Scorecard`: a 0–100 score and, per rule, whether it passed and, when it failed, one
sentence a product manager understands. It reads only its arguments (no database, no
network), so it runs after every generation and every edit, in the exports and in
`bench/quality/`.

The rules are listed in `tickets/quality/rules.py` (`RULES`, one function each, in modules
named after what they check: title, story, criteria, bug, scope); what they return is
`scorecard.py`.
This module is the contract the rest of the project reads: the generation and the editor store
`Scorecard.to_dict()` on the ticket, the card and the library show it, "Improve" rewrites the
fields of the failing rules, and the exports carry it.
"""

from tickets.quality.rules import run_rules
from tickets.quality.scorecard import CHECK_VERSION, HARD_RULES, RuleResult, Scorecard

__all__ = ["CHECK_VERSION", "HARD_RULES", "RuleResult", "Scorecard", "check_ticket"]


def check_ticket(
    content: dict, *, description: str, ticket_type: str, language: str = "en", template=None
) -> Scorecard:
    """Score `content` (the shape of `Ticket.content()`: title, summary, user_story,
    acceptance_criteria [{given, when, then}], priority, labels, story_points,
    technical_notes, steps_to_reproduce, expected_behaviour, actual_behaviour) written from
    `description` as a `ticket_type`. Rules that depend on English wording run only when
    `language` is "en"; the others (counts, copies, facts carried over, estimability) always.

    `template` (a `tickets.ticket_templates.spec.TemplateSpec`, or None) shapes the check: a
    rule that reads only sections the template hides does not apply, checklist criteria (an
    outcome only) are not asked for a When, and its Definition of Ready items are added as
    rules (free-text ones listed as to confirm, not scored)."""
    return run_rules(content, description=description, ticket_type=ticket_type,
                     language=language, template=template)
