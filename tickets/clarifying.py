"""The generator's questions step: which questions to ask, carried and answered through forms.

Nothing here reserves or charges anything, and nothing is written except the log line of a
model's wording call. The questions and, later, the answers travel in signed hidden fields
(the questions may have been worded by a model: asking it again on submit would cost a second
call and could word them differently), so a tampered field is refused, not trusted.
"""

import logging
from dataclasses import dataclass

from django.core import signing

from tickets.providers import is_offline_mode
from tickets.providers.clarify import ClarifyUnavailable, word_questions
from tickets.quality.clarify import ANSWER_MAX, Question, clean_answers, find_questions
from tickets.services.running import record_attempt

logger = logging.getLogger(__name__)

SALT = "tickets.clarify"
OTHER = "__other__"


def questions_for(description: str, ticket_type: str) -> list[Question]:
    """The questions to ask before generating, in the active language (the person answers
    them); [] when the description says enough, or when the model that should word them
    fails (skipped rather than blocking)."""
    questions = [question.localized()
                 for question in find_questions(description, ticket_type)]
    if not questions or is_offline_mode():
        return questions
    try:
        return word_questions(
            questions, description=description, ticket_type=ticket_type,
            record_attempt=lambda record: record_attempt(ticket=None, record=record,
                                                         quality="standard"),
        )
    except ClarifyUnavailable as error:
        logger.info("clarifying questions skipped: %s", error)
        return []


def sign(value) -> str:
    return signing.dumps(value, salt=SALT, compress=True)


def unsign(value: str):
    """The signed value, or raises signing.BadSignature."""
    return signing.loads(value, salt=SALT)


def sign_questions(questions: list[Question]) -> str:
    return sign([[q.key, q.text, list(q.options)] for q in questions])


def unsign_questions(value: str) -> list[Question]:
    return [Question(key, text, tuple(options)) for key, text, options in unsign(value)]


@dataclass(frozen=True)
class AnswerSheet:
    """The questions with what the user picked or wrote, and what is wrong with it."""

    questions: list[Question]
    picked: dict[str, str]  # key -> an option, OTHER, or ""
    other: dict[str, str]  # key -> the free answer
    errors: dict[str, str]  # key -> message

    @property
    def rows(self) -> list[dict]:
        """Per question, what the page shows: the question, the choice, the free text, the
        error."""
        return [{"question": question, "picked": self.picked.get(question.key, ""),
                 "other": self.other.get(question.key, ""),
                 "error": self.errors.get(question.key, "")} for question in self.questions]

    @property
    def clarifications(self) -> list[dict[str, str]]:
        answers = {key: self.other[key] if choice == OTHER else choice
                   for key, choice in self.picked.items()}
        return clean_answers(self.questions, answers)


def read_answers(questions: list[Question], data) -> AnswerSheet:
    """The answers in a posted questions step (`answer_<key>`: an option or OTHER;
    `other_<key>`: the free answer). Unanswered questions are fine (skipped); "Other" with
    nothing written, a free answer too long, or a choice not offered is an error."""
    picked, other, errors = {}, {}, {}
    for question in questions:
        choice = data.get(f"answer_{question.key}", "")
        text = " ".join(data.get(f"other_{question.key}", "").split())
        picked[question.key], other[question.key] = choice, text
        if choice == OTHER and not text:
            errors[question.key] = "Write your answer, or pick one of the options."
        elif choice == OTHER and len(text) > ANSWER_MAX:
            errors[question.key] = f"Keep your answer under {ANSWER_MAX} characters."
        elif choice not in ("", OTHER, *question.options):
            errors[question.key] = "Pick one of the options, or write your own."
    return AnswerSheet(questions, picked, other, errors)
