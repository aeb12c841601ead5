"""Rules on the user story of the kinds that have one (feature, story): its form, its role and
its benefit. All read English wording."""

from django.utils.translation import gettext_noop

from tickets.kinds import KINDS
from tickets.quality import english
from tickets.quality.registry import rule
from tickets.quality.text import words
from tickets.quality.ticket import CheckedTicket

STORY_KINDS = tuple(kind.value for kind in KINDS.values() if kind.user_story)
_FIELDS = ("user_story",)
# A benefit whose words are nearly all the goal's ("… export CSV so that I can export CSV").
CIRCULAR_SHARE = 0.8


def _story_role(ticket: CheckedTicket) -> str:
    match = english.STORY_ROLE_RE.match(ticket.user_story)
    return match.group("role") if match else ""


@rule("story_form", gettext_noop("Story form"), _FIELDS, kinds=STORY_KINDS, english_only=True)
def story_form(ticket: CheckedTicket) -> str:
    story = ticket.user_story
    if not story:
        return gettext_noop(
            "There is no user story; write “As a <role>, I want <goal> so that <benefit>”.")
    so_thats = len(english.SO_THAT_RE.findall(story.lower()))
    if so_thats > 1:
        return f"The user story has {so_thats} “so that” clauses; keep one benefit."
    if not ticket.story_parts:
        return gettext_noop(
            "The user story does not read “As a <role>, I want <goal> so that <benefit>”.")
    return ""


@rule("story_role", gettext_noop("Story role"), _FIELDS, kinds=STORY_KINDS, english_only=True)
def story_role(ticket: CheckedTicket) -> str | None:
    role = _story_role(ticket)
    if not role:
        return None  # no role to judge: story_form says what is wrong
    described = english.described_roles(ticket.description)
    if described:
        have = english.role_words(role)
        if any(set(wanted) <= have for wanted in described):
            return ""
        return (f"The story speaks for “{role}”, but the description names "
                f"“{' '.join(described[0])}”; write it from their side.")
    if not english.names_a_person(role):
        return (f"The story's role “{role}” does not name a person; say who benefits "
                "(e.g. “a team admin”).")
    return ""


@rule("story_benefit", gettext_noop("Story benefit"), _FIELDS, kinds=STORY_KINDS, english_only=True)
def story_benefit(ticket: CheckedTicket) -> str | None:
    story = ticket.user_story
    if len(english.SO_RE.findall(story.lower())) > 1:
        return gettext_noop("The user story says “so” twice; keep a single “so that” benefit.")
    match = ticket.story_parts
    if not match:
        return None  # no benefit to judge: story_form says what is wrong
    gains = words(match.group("benefit"))
    if (english.FILLER_WORDS.intersection(gains)
            and english.FILLER_BENEFIT_RE.search(" ".join(gains))):
        return (f"The benefit “{match.group('benefit')}” could follow any story; say what the "
                "user gains (time saved, a mistake avoided, a decision made).")
    goal = {word for word in words(match.group("goal")) if word not in english.STOPWORDS}
    gains = [word for word in gains if word not in english.STOPWORDS]
    if gains and sum(word in goal for word in gains) >= CIRCULAR_SHARE * len(gains):
        return gettext_noop("The benefit repeats the goal; say why the user wants it.")
    return ""
