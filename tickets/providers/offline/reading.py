"""A description read into the parts a ticket is written from.

`read(description)` finds who asks (the role), what they want (the goal, as something to do
or as a thing to have), why (the benefit), where (the environment), the concrete facts, and
for a bug the failing action, its symptoms and what should happen instead. Everything is
found by patterns over the user's own words, so every later sentence is built from them.
"""

import re
from dataclasses import dataclass, field

from . import english, facts
from .phrases import (
    CHARACTERS_READ,
    resolve_pronouns,
    sentences,
    task_steps,
)
from .roles import AS_A_RE, find_role, is_role_word, mentioned_role, role_name, strip_leads

_BENEFIT_RE = re.compile(
    r"(?:,\s*|\s+)(?:so that|so|in order to|in order that)\s+(?P<benefit>.+)$", re.IGNORECASE
)
# "so" starts a benefit only when a clause follows ("so finance can ..."), not "so slow".
_BENEFIT_CLAUSE_RE = re.compile(
    r"^(?:that\s+)?(?:\w+\s+){0,3}?(?:can|could|will|would|don't|doesn't|do not|does not|"
    r"no longer|stop|stops|get|gets|have|has|know|knows|see|sees|is|are|walk|walks|spend|"
    r"spends|save|saves|need|needs|keep|keeps)\b",
    re.IGNORECASE,
)
_BENEFIT_SENTENCE_RE = re.compile(
    r"^(?:this|that|it)\s+(?:will|would|should|could)\s+(?:help|let|allow|enable)\s+"
    r"(?P<who>(?:\w+\s+){0,3}?)(?:to\s+)?(?P<what>(?:\w+).*)$"
    r"|^(?:this|that) way,?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_TRIGGER_RE = re.compile(r"\s+(?P<word>when|whenever|after|once|if|as soon as|the first time|"
                         r"every time|each time)\s+(?P<event>.+)$", re.IGNORECASE)
# "Show a banner to account owners …": the people it is for are who the story speaks for.
_SHOW_TO_RE = re.compile(r"^(?P<verb>show|display|send|email|notify|offer)\s+(?P<thing>.+?)\s+to\s+"
                         r"(?P<who>(?:[\w-]+\s+){0,2}?[\w-]+s)\b(?P<rest>.*)$", re.IGNORECASE)
# "Add two-factor authentication …": the words of whoever builds it; the thing is what users get.
_BUILDER_RE = re.compile(r"^(?:add|build|implement|introduce|create|provide|support|enable|"
                         r"offer)\s+(?=(?:an?|the|some|new)?\s*\w)", re.IGNORECASE)
# "Bulk edit: select up to 100 products …": a name for the feature before its description.
_LABEL_RE = re.compile(r"^(?P<label>[A-Z][\w -]{2,30}):\s+(?P<rest>\S.+)$")
_CLAUSE_SPLIT_RE = re.compile(
    r"\s*[,;]\s*(?:and\s+|but\s+|then\s+|while\s+|so\s+)?|\s+(?:and|but|then)\s+(?=(?:the|no|"
    r"it|nothing|there|an?|my|our|I|we|they|this|that)\s+\w+)",
    re.IGNORECASE,
)
_PLACE_RE = re.compile(
    r"\b(?:on|in|from|at|to|into)\s+(?P<place>(?:the|my|our|a)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:page|screen|tab|dialog|modal|form|dashboard|settings|app|site|website|portal|view|"
    r"section|menu|list|checkout|cart|inbox|profile|editor|panel|sidebar|board|calendar))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    text: str  # the description, tidied
    sentences: tuple[str, ...]
    lead: str  # the sentence the request is in
    role: str = ""  # singular ("team admin"); empty when the description names nobody
    goal: str = ""  # "export the monthly invoice list as CSV" or "dark mode for the app"
    goal_is_action: bool = True
    trigger: str = ""  # "an order ships" from "... when an order ships"
    benefit: str = ""  # in the story's first person: "finance can reconcile payments"
    reason: str = ""  # "because ..." kept for the summary
    environment: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    place: str = ""  # "the checkout page"
    more: tuple[str, ...] = ()  # further requirements, as verb phrases or clauses
    label: str = ""  # "Bulk edit" from "Bulk edit: select …"
    recipient: str = ""  # "account owners" from "show a banner to account owners"
    mentioned_role: str = ""  # a person the description names somewhere ("admins")
    thing: str = ""  # what "Add …" builds: "a Slack integration that posts a message"
    # Tasks: the pieces of work, as verb phrases.
    steps: tuple[str, ...] = field(default_factory=tuple)
    original: str = ""  # the description as written

    @property
    def role_or_user(self) -> str:
        return self.role or "user"

    @property
    def named_role(self) -> bool:
        return bool(self.role) and self.role not in ("user", "person")


def tidy(description: str) -> str:
    """The description with tidy spaces, "I" capitalised and no trailing ellipsis."""
    lines = [" ".join(line.split()) for line in description.strip().splitlines()]
    text = "\n".join(line for line in lines if line)
    text = re.sub(r"(?<![\w'])i(?=(?:'m|'ve|'d|'ll)?\b)(?![.-])", "I", text)
    text = re.sub(r"\s*(?:\.\.\.|…)\s*$", "", text)
    # "cleanup logs", "setup backups": a noun written where the verb is meant.
    text = re.sub(r"(?m)^(?P<w>cleanup|setup|backup|logout)\b(?=\s+\w)",
                  lambda m: {"cleanup": "clean up", "setup": "set up", "backup": "back up",
                             "logout": "log out"}[m.group("w").lower()], text, flags=re.IGNORECASE)
    return text.replace("’", "'")


def clauses(sentence: str) -> list[str]:
    """A sentence cut where a new clause starts: "it fails, the spinner never stops and ..."."""
    return [part.strip() for part in _CLAUSE_SPLIT_RE.split(sentence) if part and part.strip()]


def _split_benefit(text: str) -> tuple[str, str]:
    """("export the list", "finance can reconcile payments") from "... so finance can ..."."""
    for match in _BENEFIT_RE.finditer(text):
        benefit = match.group("benefit").strip()
        connector = match.group(0).strip(", ").lower()
        if connector == "so" and not _BENEFIT_CLAUSE_RE.match(benefit):
            continue
        if connector.startswith("in order to"):
            benefit = f"I can {benefit}"
        return text[: match.start()].strip(" ,"), re.sub(r"^that\s+", "", benefit)
    return text, ""


def _split_reason(text: str) -> tuple[str, str]:
    match = re.search(r"(?:,\s*|\s+)because\s+(?P<reason>(?:\w+\s+){1,}.+)$",
                      text, re.IGNORECASE)
    if match and match.start() > 0 and not re.match(r"^(?:a|an|the)\b", match.group("reason")):
        return text[: match.start()].strip(" ,"), match.group("reason").strip()
    return text, ""


def _tidy_goal(goal: str) -> str:
    goal = re.sub(r"^(?:to|be able to)\s+", "", goal.strip(" ,:;-"), flags=re.IGNORECASE)
    goal = re.sub(r"\s+(?:please|pls|asap)$", "", goal, flags=re.IGNORECASE)
    return goal.strip(" ,:;-")


def _benefit_voice(benefit: str, role: str) -> str:
    """The benefit in the story's voice: "they can file" -> "I can file"; role -> "I"."""
    benefit = benefit.strip().rstrip(".!?")
    if role:
        plural_role = english.plural_phrase(role)
        benefit = re.sub(rf"^(?:the\s+)?(?:{re.escape(plural_role)}|{re.escape(role)})\s+(\w+)",
                         lambda m: "I " + (m.group(1)[:-1] if m.group(1) in ("gets", "needs")
                                           else m.group(1)),
                         benefit, flags=re.IGNORECASE)
    return english.as_first_person(benefit)


def _lead_sentence(parts: list[str]) -> str:
    for sentence in parts:
        if AS_A_RE.search(sentence):
            return sentence
    for sentence in parts:
        if not re.match(r"^(?:hi|hello|hey|thanks|thank you)\b", sentence, re.IGNORECASE):
            return sentence
    return parts[0] if parts else ""


_OTHER_ACTOR_RE = re.compile(
    r"\s+and\s+(?=(?:the|a|an|each|every|all)\s+[\w-]+\s+(?:gets?|receives?|sees?|is|are|can|"
    r"will|should)\b)", re.IGNORECASE)


def _split_other_actor(goal: str) -> tuple[str, str]:
    """("approve the requests", "the employee gets a notification when …") from "approve the
    requests and the employee get a notification when …": one requirement per actor."""
    match = _OTHER_ACTOR_RE.search(goal)
    if not match:
        return goal, ""
    clause = goal[match.end():]
    clause = re.sub(r"^(?P<s>(?:the|a|an|each|every|all)\s+[\w-]+)\s+get\b", r"\g<s> gets", clause)
    return goal[: match.start()], clause


def _split_trigger(goal: str) -> tuple[str, str]:
    """("email the customer", "an order ships") from "email the customer when an order ships";
    "the first time I sign in" keeps its "the first time"; "after 30 days" is no trigger."""
    match = _TRIGGER_RE.search(goal)
    if match and len(goal[: match.start()].split()) >= 2 and not re.match(
            r"^\d", match.group("event")):
        event = match.group("event").strip()
        if match.group("word").lower() in ("the first time", "every time", "each time"):
            event = f"{event} {match.group('word').lower().replace('the ', 'for the ')}"
        elif match.group("word").lower() not in ("when", "whenever", "once"):
            event = f"{match.group('word').lower()} {event}"
        return goal[: match.start()].strip(" ,"), event
    return goal, ""


def read(description: str) -> Reading:
    """The parts of `description` (a bug's own parts are bug_reading's)."""
    text = tidy(description)
    parts = sentences(text) or [text.strip()[:CHARACTERS_READ] or "the requested change"]
    lead = _lead_sentence(parts)
    said_first = lead
    label = _LABEL_RE.match(lead)
    if label and (len(label.group("label").split()) > 4 or english.starts_with_verb(
            label.group("label")) and not english.starts_with_verb(label.group("rest"))):
        # "Add a CSV import for products: the file has …" is a request, not a name.
        label = None
    if label:
        lead = label.group("rest")
    where = re.match(r"^(?:in|on|from)\s+(?P<place>(?:the|a|our|my)\s+[\w\s-]{2,40}?),\s+"
                     r"(?P<rest>.+)$", lead, re.IGNORECASE)
    if where:
        lead = where.group("rest")
    role, rest = find_role(text, lead)
    goal, benefit = _split_benefit(rest)
    goal, reason = _split_reason(goal)
    goal = _tidy_goal(strip_leads(goal))
    # "Let team admins export X" leaves "export X"; "dark mode for the app" stays a thing.
    if not goal:
        goal = _tidy_goal(lead)
    goal, colon, details = goal.partition(": ")
    goal, other_actor = _split_other_actor(goal)
    goal, trigger = _split_trigger(goal)
    extra = re.search(r",\s+(?P<with>with\s+.+)$", trigger)
    if extra:
        # "…, with a link to track the driver" belongs to what is sent, not to when.
        trigger = trigger[: extra.start()]
        goal = f"{goal} {extra.group('with')}"
    if other_actor:
        goal, trigger = goal, ""
    goal = english.lower_first(goal)
    if role:
        goal = re.sub(rf"\s+for\s+(?:the\s+|all\s+)?{re.escape(english.plural_phrase(role))}$",
                      "", goal, flags=re.IGNORECASE)
    # "send customers an email" reads "send an email to customers".
    goal = re.sub(r"^(?P<v>send|email|show|give|offer)\s+(?P<who>[\w-]+s)\s+"
                  r"(?P<x>(?:an?|the|their)\s.+)$",
                  lambda m: f"{m['v']} {m['x']} to {m['who']}" if is_role_word(m["who"])
                  else m.group(0), goal)
    notified = re.match(r"^(?P<v>notify|alert|remind|message)\s+(?P<who>(?:[\w-]+\s+)?[\w-]+s)\b",
                        goal, re.IGNORECASE)
    shown = _SHOW_TO_RE.match(goal)
    recipient, people = "", role_name(shown.group("who")) if shown else ""
    if shown and people and is_role_word(people.split()[-1]) and not role:
        recipient = english.plural_phrase(people)
        role = people
    if notified and is_role_word(notified.group("who").split()[-1]):
        people = role_name(notified.group("who"))
        if not role or role == people:
            recipient, role = english.plural_phrase(people), people
    benefit = benefit or _benefit_from_other_sentences(parts, lead)
    more = tuple(resolve_pronouns([_tidy_goal(strip_leads(s)) for s in parts
                                    if s not in (lead, said_first)]))[:4]
    more = tuple(re.sub(r"^the new one\b", "the new setup", s, flags=re.IGNORECASE) for s in more)
    if other_actor:
        more = (other_actor, *more)
    if details:
        more = (details, *more)
    # Where the work happens is in the request, not in its benefit ("… so they don't have to
    # switch to the admin panel").
    place = _PLACE_RE.search(goal) or _PLACE_RE.search(" ".join(parts[1:]))
    place_text = where.group("place") if where else (place.group("place") if place else "")
    reading = Reading(
        text=text,
        original=description.strip(),
        sentences=tuple(parts),
        lead=lead,
        role=role,
        goal=goal,
        goal_is_action=english.starts_with_verb(goal),
        trigger=trigger,
        benefit=_benefit_voice(benefit, role) if benefit else "",
        reason=reason,
        environment=tuple(facts.environment(text)),
        facts=tuple(facts.all_facts(text[:2000])),
        place=place_text,
        more=tuple(m for m in more if m),
        steps=tuple(task_steps(text)),
        label=label.group("label") if label else "",
        recipient=recipient,
        mentioned_role=role or mentioned_role(text),
        thing=_BUILDER_RE.sub("", goal) if _BUILDER_RE.match(goal) else "",
    )
    return reading


def _benefit_from_other_sentences(parts: list[str], lead: str) -> str:
    for sentence in parts:
        if sentence == lead:
            continue
        match = _BENEFIT_SENTENCE_RE.match(sentence)
        if match and match.group("rest"):
            return match.group("rest")
        if match:
            who = match.group("who").strip() or "I"
            return f"{who} can {match.group('what')}"
        if re.match(r"^so\s+", sentence, re.IGNORECASE):
            return re.sub(r"^so\s+(?:that\s+)?", "", sentence, flags=re.IGNORECASE)
    return ""


