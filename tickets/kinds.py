"""The kinds of ticket MyBA writes (bug, feature, task, story, epic), each decided in one place.

A `TicketKind` says everything that differs between kinds: which kind-specific content
fields it uses, the instruction the model gets, how the offline generator writes it, its Jira
issue type, the card partial that shows its own sections and the example description the
empty generator offers. The model's choices and constraint, the schema, the prompts, the
offline generator, the forms, the exports and the templates all read this registry, so a new
kind is one entry here plus its card partial (and the migration `makemigrations` writes for
the new choice).

Imports nothing from the project: everything else in tickets imports it.

`label` and `example` stay English (prompts, exports and trackers read them); pages show
`display_label` and `display_example`, in the reader's language.
"""

from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext, gettext_lazy, gettext_noop

USER_STORY_FIELDS = ("user_story",)
REPRODUCTION_FIELDS = ("steps_to_reproduce", "expected_behaviour", "actual_behaviour")
# An epic's own sections (lists of short statements); its `summary` is the epic's goal.
EPIC_FIELDS = ("scope", "out_of_scope", "success_measures")


@dataclass(frozen=True)
class OfflineRules:
    """How the offline generator writes a kind (see tickets/providers/offline/).

    `criteria`: "fix" (the failing action succeeds, each symptom is gone, the case that works
    today still does), "outcome" (the asker does what they asked for and sees the result, plus
    its edge cases) or "done" (a check anyone can run for each piece of the work).
    `title_prefix` starts every title of the kind (e.g. "Investigate: ") unless the title
    already starts with one of `title_prefix_unless`.
    """

    criteria: Literal["fix", "outcome", "done"] = "outcome"
    title_prefix: str = ""
    # A title that already starts with one of these keeps its words (no "Fix: Fix …").
    title_prefix_unless: tuple[str, ...] = ()
    min_story_points: int = 1


@dataclass(frozen=True)
class TicketKind:
    value: str  # stored in Ticket.ticket_type and sent as the JSON "type"
    label: str
    # "As a <role>, I want <goal> so that <benefit>" is required; otherwise it stays empty.
    user_story: bool
    # Steps to reproduce, expected and actual behaviour are required; otherwise empty.
    reproduction: bool
    instruction: str  # what the model is told to write, before the user's description
    jira_issue_type: str  # a default Jira Cloud issue type (the CSV importer can remap)
    card_template: str  # the partial with the kind's own sections on the ticket card
    # A good description of this kind of work: the empty generator offers it as a start.
    example: str
    offline: OfflineRules = field(default_factory=OfflineRules)
    # Scope, out of scope and success measures are required; otherwise they stay empty.
    epic: bool = False
    # The kind of the tickets a ticket of this kind splits into (an epic into stories, a
    # story into tasks); "" when it does not split.
    splits_into: str = ""

    @property
    def display_label(self) -> str:
        """The label in the active language (pages; `label` stays English)."""
        return gettext(self.label)

    @property
    def display_example(self) -> str:
        """The example description in the active language (the empty generator)."""
        return gettext(self.example)

    @property
    def fields(self) -> tuple[str, ...]:
        """The kind-specific content fields this kind fills (the rest stay empty)."""
        return ((USER_STORY_FIELDS if self.user_story else ())
                + (REPRODUCTION_FIELDS if self.reproduction else ())
                + (EPIC_FIELDS if self.epic else ()))


KIND_FIELDS = USER_STORY_FIELDS + REPRODUCTION_FIELDS + EPIC_FIELDS

_USER_STORY_CARD = "tickets/partials/kinds/user_story.html"

KINDS: dict[str, TicketKind] = {
    kind.value: kind
    for kind in (
        TicketKind(
            value="bug",
            label=gettext_noop("Bug"),
            user_story=False,
            reproduction=True,
            instruction=(
                "Write a BUG report. Title names the broken behavior and where it happens. "
                "Fill steps_to_reproduce (numbered actions a tester can follow), "
                "expected_behaviour and actual_behaviour. Acceptance criteria state how we "
                "know it is fixed. Priority follows impact: data loss, security or outage is "
                "highest; cosmetic is low. user_story is empty."
            ),
            jira_issue_type="Bug",
            card_template="tickets/partials/kinds/bug.html",
            example=gettext_noop(
                "On the checkout page in Safari on iPhone, tapping “Pay now” does nothing once "
                "the card details are filled in. It works in Chrome on a laptop. Mobile "
                "customers cannot finish their orders."
            ),
            offline=OfflineRules(criteria="fix"),
        ),
        TicketKind(
            value="feature",
            label=gettext_noop("Feature"),
            user_story=True,
            reproduction=False,
            instruction=(
                "Write a FEATURE ticket. Give a user_story 'As a <role>, I want <goal> so that "
                "<benefit>'. Acceptance criteria cover the main path, one edge case and one "
                "error case. Bug fields are empty."
            ),
            # Jira Cloud's simple schemes have no "Feature" type.
            jira_issue_type="Story",
            card_template=_USER_STORY_CARD,
            splits_into="task",
            example=gettext_noop(
                "Let team admins invite colleagues by email from the Members page and choose "
                "their role (viewer or editor), so new people can join a workspace without "
                "asking support."
            ),
        ),
        TicketKind(
            value="task",
            label=gettext_noop("Task"),
            user_story=False,
            reproduction=False,
            instruction=(
                "Write a TASK ticket: technical or operational work with no direct user-facing "
                "story. Summary explains why the work is needed; technical_notes list the "
                "concrete steps or risks. user_story and bug fields are empty."
            ),
            jira_issue_type="Task",
            card_template="tickets/partials/kinds/task.html",
            example=gettext_noop(
                "Upgrade the production database from PostgreSQL 13 to 16 before version 13 "
                "reaches end of life in November: rehearse on staging, test a restore from "
                "backup, and plan a short maintenance window."
            ),
            offline=OfflineRules(criteria="done"),
        ),
        TicketKind(
            value="story",
            label=gettext_noop("Story"),
            user_story=True,
            reproduction=False,
            instruction=(
                "Write a USER STORY that fits in one sprint. Give a user_story 'As a <role>, I "
                "want <goal> so that <benefit>' from the point of view of the person who "
                "benefits. Acceptance criteria are what the product owner will check in the "
                "demo. Bug fields are empty."
            ),
            jira_issue_type="Story",
            card_template=_USER_STORY_CARD,
            example=gettext_noop(
                "As a returning shopper, I want the items in my cart saved when I sign out, so "
                "that I can finish buying them later on another device."
            ),
            offline=OfflineRules(min_story_points=2),
            splits_into="task",
        ),
        TicketKind(
            value="epic",
            label=gettext_noop("Epic"),
            user_story=False,
            reproduction=False,
            epic=True,
            splits_into="story",
            instruction=(
                "Write an EPIC: a body of work too big for one sprint, which will be split into "
                "stories. The summary states the epic's goal: the outcome for the people it "
                "serves and why it matters now. scope lists what the epic delivers (3 to 8 "
                "short items, each a capability a story can deliver); out_of_scope lists what "
                "it deliberately leaves out; success_measures lists how we will know it "
                "worked, each measurable (a number, a rate or a date). Acceptance criteria "
                "state what must be true for the whole epic to be done. Story points estimate "
                "the whole epic. user_story and bug fields are empty."
            ),
            jira_issue_type="Epic",
            card_template="tickets/partials/kinds/epic.html",
            example=gettext_noop(
                "Let shoppers pay with saved cards: save a card at checkout, choose a saved "
                "card next time, remove cards from the account page, and keep card data with "
                "our payment provider only, so repeat customers check out in under a minute."
            ),
        ),
    )
}


def split_kinds() -> tuple[str, ...]:
    """The kinds a finished ticket can be split from on request (an epic splits as it is
    made)."""
    return tuple(kind.value for kind in KINDS.values() if kind.splits_into and not kind.epic)


class UnknownKind(LookupError):
    """No ticket kind has this value."""


def get_kind(value: str) -> TicketKind:
    """The registered kind for `value`; raises UnknownKind."""
    try:
        return KINDS[value]
    except KeyError:
        raise UnknownKind(value) from None


def kind_values() -> tuple[str, ...]:
    return tuple(KINDS)


def kind_choices() -> list[tuple[str, str]]:
    """(value, label) with the label translated when shown (equal to the English label)."""
    return [(kind.value, gettext_lazy(kind.label)) for kind in KINDS.values()]


def kinds_in_words() -> str:
    """"bug, feature, task or story": the kinds as a phrase for a message."""
    *rest, last = kind_values()
    if not rest:
        return last
    return gettext("%(kinds)s or %(last)s") % {"kinds": ", ".join(rest), "last": last}
