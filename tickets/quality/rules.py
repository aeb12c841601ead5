"""The quality rules: one function per rule, registered in `RULES` in the order shown.

Each rule gets the ticket's content, the description and the ticket type and returns a
`RuleResult`, or None when it does not apply (a user-story rule on a bug, an English-wording
rule on a ticket in another language).
"""

from tickets.quality.scorecard import Scorecard

RULES: list = []


def run_rules(content: dict, *, description: str, ticket_type: str, language: str) -> Scorecard:
    results = tuple(
        result
        for rule in RULES
        if (result := rule(content, description=description, ticket_type=ticket_type,
                           language=language)) is not None
    )
    passed = sum(result.passed for result in results)
    score = round(100 * passed / len(results)) if results else 100
    return Scorecard(score=score, results=results)
