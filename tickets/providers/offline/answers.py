"""Clarify-first answers written into the description, in the forms the offline reading
understands (a model gets them as a list in its prompt instead: prompts.build_messages).

- A story's role and benefit become its story sentence: "dark mode for the app" answered
  "Team admins" / "Save time on a frequent task" is read as "As a team admin, I want dark mode
  for the app so that I can save time on a frequent task"; a benefit alone is the purpose of
  what the description asks ("drivers see the route so that they can …").
- A story's platform goes into what is wanted ("… dark mode for the app in the web app");
  a bug's into where it happens ("It happens in the web app.").
- A bug's expected behaviour becomes "It should …", which the bug reading takes as the
  expected behaviour (never as a symptom).
- Any other answer (a task's scope) is a sentence of its own, read as a check of done.
"""

import re

from . import english

_STORY_SENTENCE_RE = re.compile(r"\bas an? \w", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")


def _clean(answer: str) -> str:
    return answer.strip().rstrip(".!").strip()


def _sentence(text: str) -> str:
    text = _clean(text)
    return english.capitalize(text) + "." if text else ""


def _where(platform: str) -> str:
    """"The web app" -> "in the web app"; "Both web and mobile" -> "on both web and mobile"."""
    place = english.lower_first(_clean(platform))
    if re.match(r"^(?:in|on|at|for|from)\s", place, re.IGNORECASE):
        return place
    return f"in {place}" if re.match(r"^(?:the|a|an|our|my|every)\s", place) else f"on {place}"


def _benefit(answer: str, *, person: str) -> str:
    """What the story's "so that" says, for `person` ("I" or "they"): "Save time on a frequent
    task" -> "I can save time on a frequent task"; "Less eye strain" -> "I get less eye
    strain"."""
    benefit = english.lower_first(_clean(answer))
    if person == "I":
        benefit = english.as_first_person(benefit)
    benefit = re.sub(r"^(?:so that |so )?(?:(?:I|they) can |to )?", "", benefit)
    if english.starts_with_verb(benefit):
        return f"{person} can {benefit}"
    return f"{person} get {benefit}"


def _expected(answer: str) -> str:
    """"Show a clear error message" -> "It should show a clear error message."; a sentence of
    one's own ("the total matches the invoice page") -> "It should be fixed so that …"."""
    expected = english.lower_first(_clean(answer))
    expected = re.sub(r"^(?:it )?should\s+", "", expected, flags=re.IGNORECASE)
    if english.starts_with_verb(expected):
        return _sentence(f"it should {expected}")
    return _sentence(f"it should be fixed so that {expected}")


def _story(description: str, answers: dict[str, str]) -> list[str]:
    first, *rest = _SENTENCE_END_RE.split(_clean(description), maxsplit=1)
    goal = english.lower_first(_clean(first))
    if answers.get("platform"):
        goal = f"{goal} {_where(answers['platform'])}"
    role, benefit = answers.get("role", ""), answers.get("benefit", "")
    # Only an answered role makes the story sentence: a role the description names is read
    # from the description itself ("drivers should see the route … so that they can …").
    if role and not _STORY_SENTENCE_RE.search(first):
        role = english.singular_phrase(english.lower_first(_clean(role)))
        head = f"As {english.article(role)} {role}, I want {goal}"
        person = "I"
    else:
        head = english.capitalize(goal)
        person = "I" if _STORY_SENTENCE_RE.search(first) else "they"
    if benefit:
        head = f"{head} so that {_benefit(benefit, person=person)}"
    return [_sentence(head), *(_sentence(part) for part in rest)]


def fold_answers(description: str, *, story: bool, bug: bool,
                 clarifications: list[dict]) -> str:
    """The description with the answers written into it (see the module docstring); the
    description itself when nothing was answered."""
    if not clarifications:
        return description
    answers = {item.get("key", ""): item["answer"] for item in clarifications if item["answer"]}
    used = set()
    if story:
        parts = _story(description, answers)
        used |= {"role", "benefit", "platform"}
    else:
        parts = [_sentence(description)]
    if bug and answers.get("expected"):
        parts.append(_expected(answers["expected"]))
        used.add("expected")
    if bug and answers.get("platform"):
        parts.append(_sentence(f"it happens {_where(answers['platform'])}"))
        used.add("platform")
    parts += [_sentence(answer) for key, answer in answers.items() if key not in used]
    return " ".join(part for part in parts if part)
