"""A template's settings as plain, immutable data: what the generator, the prompts, the
schema, the quality check and the exports read.

Imports only the kind registry and the readiness catalogue, so the providers and the quality
check can read a `TemplateSpec` without touching the database. `to_dict` is what a ticket
stores as its snapshot (`Ticket.template_snapshot`); `from_dict` reads it back defensively
(a snapshot written by an older version keeps working).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from tickets.kinds import KINDS
from tickets.quality.readiness import READY_CHECKS, ReadyItem

# The optional sections a template may hide, in the order forms show them. Hidden means
# stored empty (so the exports and the card leave them out, as they do any empty field), never
# asked of the model and never judged by the quality check. The labels are only shown.
SECTIONS = {
    "user_story": gettext_lazy("User story"),
    "labels": gettext_lazy("Labels"),
    "story_points": gettext_lazy("Story points"),
    "technical_notes": gettext_lazy("Technical notes"),
}
EMPTY_SECTION = {"user_story": "", "labels": [], "story_points": None, "technical_notes": ""}

LABEL_VOCABULARY_MAX = 30
HOUSE_RULES_MAX = 2000
READY_ITEMS_MAX = 12


@dataclass(frozen=True)
class PriorityLevel:
    word: str  # what people read: "P1", "Should have"
    value: str  # the stored priority this level is saved as
    covers: tuple[str, ...]  # the stored priorities shown as this level


@dataclass(frozen=True)
class PriorityScheme:
    key: str
    label: str  # English: the prompt names the scheme with it
    levels: tuple[PriorityLevel, ...]  # most urgent first

    @property
    def display_label(self) -> str:
        """The label in the reader's language (pages)."""
        return gettext(self.label)

    def level(self, value: str) -> PriorityLevel | None:
        return next((level for level in self.levels if value in level.covers), None)

    def word(self, value: str) -> str:
        """The scheme's word for a stored priority ("" for none)."""
        level = self.level(value)
        return level.word if level else ""

    def canonical(self, value: str) -> str:
        """The stored priority `value` is saved as in this scheme (P3 covers low and lowest
        and is saved as low, so every ticket of the scheme reads back as one of its words)."""
        level = self.level(value)
        return level.value if level else value

    def choices(self) -> list[tuple[str, str]]:
        return [(level.value, level.word) for level in self.levels]


def _standard(*words: str) -> tuple[PriorityLevel, ...]:
    values = ("highest", "high", "medium", "low", "lowest")
    return tuple(PriorityLevel(word, value, (value,)) for word, value in zip(words, values,
                                                                              strict=True))


PRIORITY_SCHEMES = {
    scheme.key: scheme
    for scheme in (
        PriorityScheme("standard", gettext_noop("Highest, High, Medium, Low, Lowest"),
                       _standard("Highest", "High", "Medium", "Low", "Lowest")),
        PriorityScheme("p_levels", gettext_noop("P0 (drop everything) to P3"), (
            PriorityLevel("P0", "highest", ("highest",)),
            PriorityLevel("P1", "high", ("high",)),
            PriorityLevel("P2", "medium", ("medium",)),
            PriorityLevel("P3", "low", ("low", "lowest")),
        )),
        PriorityScheme("moscow", gettext_noop("MoSCoW: Must, Should, Could, Won't"), (
            PriorityLevel("Must have", "highest", ("highest",)),
            PriorityLevel("Should have", "high", ("high",)),
            PriorityLevel("Could have", "medium", ("medium", "low")),
            PriorityLevel("Won't have this time", "lowest", ("lowest",)),
        )),
    )
}
DEFAULT_SCHEME = PRIORITY_SCHEMES["standard"]

CRITERIA_STYLES = {
    "gwt": gettext_lazy("Given / When / Then"),
    "checklist": gettext_lazy("Checklist: one observable outcome each"),
}


@dataclass(frozen=True)
class TemplateSpec:
    id: str  # a saved template's public id, or a built-in's slug
    name: str
    ticket_type: str
    sections: tuple[str, ...] = tuple(SECTIONS)  # the optional sections that appear
    labels: tuple[str, ...] = ()  # the label vocabulary; empty: any label
    priority_scheme: str = "standard"
    criteria_style: str = "gwt"
    ready: tuple[ReadyItem, ...] = ()  # the Definition of Ready
    house_rules: str = ""
    builtin: bool = False
    hidden: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "hidden", frozenset(SECTIONS) - frozenset(self.sections))

    def hides(self, field_name: str) -> bool:
        return field_name in self.hidden

    @property
    def checklist(self) -> bool:
        return self.criteria_style == "checklist"

    @property
    def scheme(self) -> PriorityScheme:
        return PRIORITY_SCHEMES.get(self.priority_scheme, DEFAULT_SCHEME)

    @property
    def kind_label(self) -> str:
        kind = KINDS.get(self.ticket_type)
        return kind.display_label if kind else self.ticket_type

    @property
    def shown_sections(self) -> list[str]:
        """The labels of the optional sections that appear (for this kind)."""
        kind = KINDS.get(self.ticket_type)
        return [label for key, label in SECTIONS.items() if key in self.sections
                and (key != "user_story" or kind is None or kind.user_story)]

    @property
    def checks(self) -> tuple[ReadyItem, ...]:
        return tuple(item for item in self.ready if item.check)

    @property
    def to_confirm(self) -> tuple[ReadyItem, ...]:
        return tuple(item for item in self.ready if not item.check)

    def shape(self, content: dict) -> dict:
        """`content` (a validated ticket) as this template keeps it: hidden sections empty,
        labels only from the vocabulary (others dropped), the priority saved as its scheme's
        level, checklist criteria with their outcome alone."""
        shaped = {**content}
        for name in self.hidden:
            shaped[name] = EMPTY_SECTION[name]
        if self.labels and not self.hides("labels"):
            shaped["labels"] = [label for label in shaped.get("labels") or ()
                                if label in self.labels]
        if shaped.get("priority"):
            shaped["priority"] = self.scheme.canonical(shaped["priority"])
        if self.checklist:
            shaped["acceptance_criteria"] = [
                {**criterion, "given": "", "when": ""}
                for criterion in shaped.get("acceptance_criteria") or ()]
        return shaped

    def to_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "ticket_type": self.ticket_type,
            "sections": list(self.sections), "labels": list(self.labels),
            "priority_scheme": self.priority_scheme, "criteria_style": self.criteria_style,
            "ready": [item.to_dict() for item in self.ready],
            "house_rules": self.house_rules, "builtin": self.builtin,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "TemplateSpec":
        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key)
            return tuple(item for item in value if isinstance(item, str)) if isinstance(
                value, list) else ()

        return cls(
            id=str(data.get("id", "")), name=str(data.get("name", "")),
            ticket_type=str(data.get("ticket_type", "")),
            sections=tuple(key for key in strings("sections") if key in SECTIONS),
            labels=strings("labels"),
            priority_scheme=str(data.get("priority_scheme") or "standard"),
            criteria_style=str(data.get("criteria_style") or "gwt"),
            ready=tuple(ReadyItem.from_dict(item) for item in data.get("ready") or ()
                        if isinstance(item, dict)),
            house_rules=str(data.get("house_rules") or ""),
            builtin=bool(data.get("builtin")),
        )


def ready_check_choices() -> list[tuple[str, str]]:
    return [(key, gettext(check.label)) for key, check in READY_CHECKS.items()]


def priority_scheme_choices() -> list[tuple[str, str]]:
    return [(key, scheme.display_label) for key, scheme in PRIORITY_SCHEMES.items()]
