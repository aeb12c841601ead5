"""Rules on the title: its length, and whether it names the change in its own words."""

from django.utils.translation import gettext_noop

from tickets.quality.english import GENERIC_TITLE_WORDS, STOPWORDS
from tickets.quality.registry import rule
from tickets.quality.text import alike
from tickets.quality.ticket import CheckedTicket

TITLE_MIN, TITLE_MAX = 5, 90
# A title reading this much like the whole description (1 = word for word) is a copy of it.
COPY_LIKENESS = 0.9
# A title made of the description's first words, this many or more, was cut from it.
CUT_PREFIX_WORDS = 8
_CUT_ENDINGS = ("…", "...")


@rule("title_length", gettext_noop("Title length"), ("title",))
def title_length(ticket: CheckedTicket) -> str:
    length = len(ticket.title)
    if not length:
        return (f"There is no title; write {TITLE_MIN} to {TITLE_MAX} characters that name "
                "the change.")
    if length < TITLE_MIN:
        return (f"The title has {length} characters; write {TITLE_MIN} to {TITLE_MAX} that "
                "name the change.")
    if length > TITLE_MAX:
        return (f"The title has {length} characters; shorten it to {TITLE_MAX} or fewer and "
                "put the detail in the summary.")
    return ""


@rule("title_specific", gettext_noop("Specific title"), ("title",), english_only=True)
def title_specific(ticket: CheckedTicket) -> str:
    title = ticket.title
    if not title:
        return gettext_noop("There is no title; name the change or the broken behaviour.")
    if title.endswith(_CUT_ENDINGS):
        return gettext_noop("The title is cut off with “…”; end it after a complete phrase.")
    title_words = ticket.words(title)
    described = ticket.description_words
    if title_words and alike(title_words, described, COPY_LIKENESS):
        return ("The title repeats the description; name the change or the broken behaviour "
                "in a few words of your own.")
    if (len(title_words) >= CUT_PREFIX_WORDS and len(described) > len(title_words)
            and described[: len(title_words)] == title_words):
        return ("The title is the start of the description cut short; name the change or the "
                "broken behaviour in a few words of your own.")
    naming = [word for word in title_words
              if word not in GENERIC_TITLE_WORDS and word not in STOPWORDS]
    if len(naming) < 2:
        return (f"The title “{title}” does not say what changes or what is broken; name the "
                "feature, screen or behaviour.")
    return ""
