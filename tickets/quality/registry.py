"""What a quality rule is: a key, a label, the fields it reads, where it applies, and a check.

A check reads a `CheckedTicket` and returns the failure message (one plain sentence), "" when
the ticket passes, or None when the rule has nothing to judge (a bug's environment when the
description names none). `@rule(...)` turns a check into a `Rule`; `tickets.quality.rules`
lists them in the order the scorecard shows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from tickets.quality.scorecard import RuleResult
from tickets.quality.ticket import CheckedTicket

Check = Callable[[CheckedTicket], str | None]


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    fields: tuple[str, ...]
    check: Check
    kinds: frozenset[str] | None = None  # the ticket types it applies to; None: all
    english_only: bool = False  # it reads English wording
    # A pass always reads the same: made once and shared (RuleResult is immutable).
    passed: RuleResult = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "passed", RuleResult(
            key=self.key, label=self.label, passed=True, message="", fields=self.fields))

    def result(self, ticket: CheckedTicket) -> RuleResult | None:
        if self.kinds is not None and ticket.ticket_type not in self.kinds:
            return None
        if self.english_only and not ticket.english:
            return None
        message = self.check(ticket)
        if not message:
            return None if message is None else self.passed
        return RuleResult(key=self.key, label=self.label, passed=False, message=message,
                          fields=self.fields)

    def __call__(self, content: dict, *, description: str, ticket_type: str,
                 language: str = "en") -> RuleResult | None:
        """This rule alone on one ticket (`run_rules` parses the ticket once for all rules)."""
        return self.result(CheckedTicket(content, description=description,
                                         ticket_type=ticket_type, language=language))


def rule(key: str, label: str, fields: tuple[str, ...], *, kinds: tuple[str, ...] | None = None,
         english_only: bool = False) -> Callable[[Check], Rule]:
    def register(check: Check) -> Rule:
        return Rule(key=key, label=label, fields=fields, check=check,
                    kinds=frozenset(kinds) if kinds is not None else None,
                    english_only=english_only)
    return register
