"""A template's Definition of Ready as rules on the scorecard.

A Definition of Ready item is either a check from `READY_CHECKS` (has an estimate, at least N
acceptance criteria, a label naming the affected area, a user story, no open questions left,
steps to reproduce), scored like any rule, or free text ("designs attached", "agreed with
legal"), which no rule can judge: it is listed on the scorecard as to confirm by the team and
never scored. Reads only the ticket's fields, like every rule.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop, ngettext

from tickets.quality.scorecard import RuleResult
from tickets.quality.ticket import CheckedTicket

READY_TEXT_MAX = 200
MIN_CRITERIA_DEFAULT = 3
MIN_CRITERIA_RANGE = (1, 12)
# What "an open question" looks like in technical notes: a question mark, or a marker that
# something is still to be decided.
_OPEN_RE = re.compile(r"\?|\b(?:tbd|tbc|todo|open questions?|to be (?:decided|confirmed)|"
                      r"unclear|unknown yet)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReadyItem:
    """One line of a Definition of Ready: a check's key (with its number, for those that take
    one), or free text to confirm by the team."""

    check: str = ""
    n: int | None = None
    text: str = ""

    def to_dict(self) -> dict:
        if self.check:
            return {"check": self.check, **({"n": self.n} if self.n is not None else {})}
        return {"text": self.text}

    @classmethod
    def from_dict(cls, data: dict) -> "ReadyItem":
        n = data.get("n")
        return cls(check=str(data.get("check") or ""),
                   n=n if isinstance(n, int) and not isinstance(n, bool) else None,
                   text=str(data.get("text") or ""))

    @property
    def label(self) -> str:
        if not self.check:
            return self.text
        check = READY_CHECKS.get(self.check)
        return check.rule_label(self) if check else self.check

    @property
    def display_label(self) -> str:
        """What the item asks, in the reader's language, for the template's page (`label`
        stays English: it goes to the model and onto the stored scorecard)."""
        check = READY_CHECKS.get(self.check)
        if check is None:
            return self.text or self.check
        if check.takes_number:
            wanted = self.n or MIN_CRITERIA_DEFAULT
            return ngettext("Has at least %(count)s acceptance criterion",
                            "Has at least %(count)s acceptance criteria", wanted) % {
                "count": wanted}
        return gettext(check.label)


Judge = Callable[[CheckedTicket, ReadyItem, tuple[str, ...]], str]


@dataclass(frozen=True)
class ReadyCheck:
    key: str
    label: str  # in the template form: "Has an estimate (story points)"
    fields: tuple[str, ...]
    judge: Judge  # the failure message, or "" when ready
    takes_number: bool = False

    def rule_label(self, item: ReadyItem) -> str:
        if self.takes_number:
            return f"Ready: has at least {item.n or MIN_CRITERIA_DEFAULT} acceptance criteria"
        return f"Ready: {self.label[0].lower()}{self.label[1:]}"


def _estimate(ticket: CheckedTicket, item: ReadyItem, vocabulary: tuple[str, ...]) -> str:
    if isinstance(ticket.story_points, int) and ticket.story_points > 0:
        return ""
    return "There is no story-point estimate; the Definition of Ready asks for one."


def _min_criteria(ticket: CheckedTicket, item: ReadyItem, vocabulary: tuple[str, ...]) -> str:
    wanted = item.n or MIN_CRITERIA_DEFAULT
    count = len([c for c in ticket.criteria if c["then"]])
    if count >= wanted:
        return ""
    return (f"There {'is' if count == 1 else 'are'} {count} acceptance "
            f"criteri{'on' if count == 1 else 'a'}; the Definition of Ready asks for at least "
            f"{wanted}.")


def _area_label(ticket: CheckedTicket, item: ReadyItem, vocabulary: tuple[str, ...]) -> str:
    labels = ticket.content.get("labels")
    labels = [label for label in labels if isinstance(label, str)] if isinstance(
        labels, list) else []
    if vocabulary:
        if any(label in vocabulary for label in labels):
            return ""
        return ("No label names the affected area; add one of the template's labels "
                f"({', '.join(vocabulary[:6])}{', …' if len(vocabulary) > 6 else ''}).")
    return "" if labels else "No label names the affected component or area; add one."


def _user_story(ticket: CheckedTicket, item: ReadyItem, vocabulary: tuple[str, ...]) -> str:
    if ticket.story_parts:
        return ""
    return "There is no user story “As a <role>, I want <goal> so that <benefit>”."


def _no_open_questions(ticket: CheckedTicket, item: ReadyItem,
                       vocabulary: tuple[str, ...]) -> str:
    found = _OPEN_RE.search(ticket.field("technical_notes"))
    if not found:
        return ""
    return (f"The technical notes still hold an open question (“{found.group(0)}”); answer it "
            "before the work starts.")


def _reproduction(ticket: CheckedTicket, item: ReadyItem, vocabulary: tuple[str, ...]) -> str:
    if ticket.steps and ticket.field("expected_behaviour") and ticket.field("actual_behaviour"):
        return ""
    return "Steps to reproduce, expected and actual behaviour are not all written down."


READY_CHECKS = {
    check.key: check
    for check in (
        ReadyCheck("estimate", gettext_noop("Has an estimate (story points)"), ("story_points",),
                   _estimate),
        ReadyCheck("min_criteria", gettext_noop("Has at least N acceptance criteria"),
                   ("acceptance_criteria",), _min_criteria, takes_number=True),
        ReadyCheck("area_label", gettext_noop("Names the affected component or area in a label"),
                   ("labels",), _area_label),
        ReadyCheck("user_story", gettext_noop("Has a user story"), ("user_story",), _user_story),
        ReadyCheck("no_open_questions",
                   gettext_noop("No open questions left in the technical notes"),
                   ("technical_notes",), _no_open_questions),
        ReadyCheck("reproduction",
                   gettext_noop("Has steps to reproduce, expected and actual behaviour"),
                   ("steps_to_reproduce", "expected_behaviour", "actual_behaviour"),
                   _reproduction),
    )
}


def ready_results(ticket: CheckedTicket, items, vocabulary: tuple[str, ...]) -> list[RuleResult]:
    """A rule result per checkable Definition of Ready item (free-text items are not
    judged: see `to_confirm`); an unknown check (from a newer version) is skipped."""
    results = []
    for item in items:
        check = READY_CHECKS.get(item.check)
        if check is None:
            continue
        message = check.judge(ticket, item, vocabulary)
        results.append(RuleResult(key=f"ready_{check.key}", label=check.rule_label(item),
                                  passed=not message, message=message, fields=check.fields))
    return results
