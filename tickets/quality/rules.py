"""The quality rules, in the order the scorecard shows them, and the score they add up to.

Each rule is one function in a module named after what it checks (`title_rules`,
`story_rules`, `criteria_rules`, `bug_rules`, `scope_rules`), registered with `@rule` (see
`registry.py`). A rule returns a `RuleResult`, or None when it does not apply (a user-story
rule on a bug, an English-wording rule on a ticket in another language).
"""

from tickets.quality.bug_rules import bug_environment, bug_expected_actual, bug_steps
from tickets.quality.criteria_rules import (
    criteria_count,
    criteria_distinct,
    criteria_facts,
    criteria_observable,
    criteria_one_when,
)
from tickets.quality.readiness import ready_results
from tickets.quality.registry import Rule
from tickets.quality.scope_rules import estimate, no_copy
from tickets.quality.scorecard import HARD_RULES, Scorecard
from tickets.quality.story_rules import story_benefit, story_form, story_role
from tickets.quality.ticket import CheckedTicket
from tickets.quality.title_rules import title_length, title_specific

RULES: list[Rule] = [
    title_length,
    title_specific,
    story_form,
    story_role,
    story_benefit,
    criteria_count,
    criteria_one_when,
    criteria_observable,
    criteria_distinct,
    criteria_facts,
    bug_steps,
    bug_expected_actual,
    bug_environment,
    estimate,
    no_copy,
]

# A hard rule counts twice in the score: a ticket without a usable title, criteria, story or
# reproduction is worth less than one with a vague word in it.
HARD_RULE_WEIGHT = 2


def _applies(rule: Rule, template) -> bool:
    """A rule judging a section the template hides (its first field: the others are context,
    as the criteria are to the estimate) has nothing to judge."""
    return template is None or not template.hides(rule.fields[0])


def run_rules(content: dict, *, description: str, ticket_type: str, language: str,
              template=None) -> Scorecard:
    ticket = CheckedTicket(content, description=description, ticket_type=ticket_type,
                           language=language,
                           checklist=template is not None and template.checklist)
    results = tuple(result for rule in RULES
                    if _applies(rule, template) and (result := rule.result(ticket)) is not None)
    to_confirm: tuple[str, ...] = ()
    if template is not None:
        results += tuple(ready_results(ticket, template.checks, template.labels))
        to_confirm = tuple(item.text for item in template.to_confirm)
    weights = [HARD_RULE_WEIGHT if result.key in HARD_RULES else 1 for result in results]
    earned = sum(weight for weight, result in zip(weights, results, strict=True)
                 if result.passed)
    score = round(100 * earned / sum(weights)) if results else 100
    return Scorecard(score=score, results=results, to_confirm=to_confirm)
