"""A ticket as the quality rules read it: its content and description, tidied and parsed once.

Content comes from generators, edits and old rows, so every field is read defensively: a
missing or non-text value is empty. The parsed forms (words, facts, criteria texts) are
computed on first use and shared by the rules that need them.
"""

from tickets.quality import facts, text
from tickets.quality.english import STORY_RE
from tickets.quality.lazy import lazy


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


class CheckedTicket:
    def __init__(self, content: dict, *, description: str, ticket_type: str, language: str,
                 checklist: bool = False):
        self.content = content if isinstance(content, dict) else {}
        self.description = _text(description)
        self.ticket_type = ticket_type
        self.language = language
        self.english = language.split("-")[0].casefold() == "en"
        # Checklist-style criteria (a template's choice) carry only an outcome, in "then".
        self.checklist = checklist
        self._words: dict[str, list[str]] = {}
        self._fields: dict[str, str] = {}
        self._normalised: dict[str, str] = {}

    def field(self, name: str) -> str:
        found = self._fields.get(name)
        if found is None:
            found = self._fields[name] = _text(self.content.get(name))
        return found

    def words(self, value: str) -> list[str]:
        """`text.words(value)`, computed once per text: several rules read the same parts."""
        found = self._words.get(value)
        if found is None:
            found = self._words[value] = text.words(value)
        return found

    def normalised(self, value: str) -> str:
        found = self._normalised.get(value)
        if found is None:
            found = self._normalised[value] = " ".join(self.words(value))
        return found

    @lazy
    def title(self) -> str:
        return self.field("title")

    @lazy
    def user_story(self) -> str:
        return self.field("user_story")

    @lazy
    def criteria(self) -> list[dict[str, str]]:
        """Each criterion as {given, when, then}, missing parts empty."""
        raw = self.content.get("acceptance_criteria")
        if not isinstance(raw, list):
            return []
        return [{part: _text(item.get(part)) for part in ("given", "when", "then")}
                for item in raw if isinstance(item, dict)]

    @lazy
    def criteria_texts(self) -> list[str]:
        return [f"{c['given']} {c['when']} {c['then']}" for c in self.criteria]

    @lazy
    def steps(self) -> list[str]:
        raw = self.content.get("steps_to_reproduce")
        if isinstance(raw, str):
            raw = raw.splitlines()
        if not isinstance(raw, list):
            return []
        return [step for step in map(_text, raw) if step]

    @lazy
    def story_points(self):
        """As stored (an int or None); a number in a string ("3") counts as that number."""
        points = self.content.get("story_points")
        if isinstance(points, str) and points.strip().isdigit():
            return int(points)
        return points

    @lazy
    def description_words(self) -> list[str]:
        return self.words(self.description)

    @lazy
    def story_parts(self):
        """The user story's match of english.STORY_RE ("As a <role>, I want <goal> so that
        <benefit>"), or None."""
        return STORY_RE.match(self.user_story)

    @lazy
    def description_sentences(self) -> list[list[str]]:
        """The words of each sentence of the description."""
        return [text.words(sentence) for sentence in text.sentences(self.description)]

    @lazy
    def description_facts(self) -> list[facts.Fact]:
        return facts.description_facts(self.description, english=self.english)

    @lazy
    def criteria_index(self) -> facts.FactIndex:
        return self.fact_index(self.criteria_texts)

    def fact_index(self, parts: list[str]) -> facts.FactIndex:
        return facts.FactIndex(parts, [self.words(part) for part in parts])

    def prose(self) -> list[tuple[str, str]]:
        """(name, text) of every free-text part of the ticket but the title, one entry per
        step and per criterion: what "copied from the description" is looked for in."""
        parts = [(name, self.field(name)) for name in
                 ("summary", "user_story", "technical_notes", "expected_behaviour",
                  "actual_behaviour")]
        parts += [(f"step {number}", step) for number, step in enumerate(self.steps, 1)]
        parts += [(f"criterion {number}", criterion)
                  for number, criterion in enumerate(self.criteria_texts, 1)]
        return [(name, value) for name, value in parts if value]
