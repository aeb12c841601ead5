"""Acceptance criteria for a task: for each piece of the work, a check anyone can run.

An upgrade is checked by the test suite on the new version and by what production reports;
a migration by where the data is read from; a rotation by the new secret working and the old
one refused; a removal by nothing left that uses it; a replacement by the old library gone.
Qualifiers the description adds ("including the 400GB of existing uploads", "without
downtime", "100 requests per minute") become checks of their own.
"""

import re

from . import english
from .criteria import criterion, finish
from .outcomes import Action, parse_action, they
from .phrases import is_current_state, split_requirement, statement_then
from .reading import Reading

_MOVE_RE = re.compile(r"\bfrom\s+(?P<old>.+?)\s+to\s+(?P<new>.+?)(?=\s+(?:before|after|by|"
                      r"until|once|so|and|with|without|including)\b|,|$)", re.IGNORECASE)
_SECRET_RE = re.compile(r"\b(?:key|secret|token|password|certificate|credential)s?\b",
                        re.IGNORECASE)


def _with_name(new: str, old: str) -> str:
    """"3.12" after "Python 3.9" reads "Python 3.12"."""
    name = re.match(r"^(?P<name>[A-Za-z][\w.+#-]*)\s+\d", old)
    if name and re.match(r"^\d", new):
        return f"{name.group('name')} {new}"
    return new


def _is(phrase: str) -> str:
    return "are" if english.is_plural(english.head_noun(phrase) or "x") else "is"


def _step_criteria(action: Action, reading: Reading) -> list[dict[str, str]]:
    base, obj = action.base, they(action.obj) or "the system"
    move = _MOVE_RE.search(action.rest)
    if base in ("upgrade", "update", "bump", "migrate", "move", "switch") and move:
        old, new = move.group("old"), _with_name(move.group("new"), move.group("old"))
        if re.search(r"(?:^|\s)\d+(?:\.\d+)*$", new):
            return [
                criterion(f"{obj} on a staging server with {new}", "its full test suite runs",
                          "every test passes"),
                criterion("the release deployed to production",
                          f"someone checks the version {obj} reports",
                          f"it reports {new} instead of {old}"),
            ]
        if re.search(r"\b(?:storage|files?|images?|uploads?|disk|bucket|attachments?|media)\b",
                     f"{action.obj} {old} {new}", re.IGNORECASE):
            return [
                criterion(f"the move of {obj} to {new} finished",
                          "someone opens an item stored before the move", f"it loads from {new}"),
                criterion(f"the move of {obj} finished", f"someone looks for files on {old}",
                          f"the application no longer reads from {old}"),
            ]
        return [
            criterion(f"{obj} moved to {new}", "the team works with it for a full day",
                      f"every job that ran on {old} runs on {new}"),
            criterion(f"{obj} moved to {new}", f"someone checks {old}",
                      f"nothing runs on {old} any more and it can be switched off"),
        ]
    if re.search(r"deprecat|warning", action.obj, re.IGNORECASE):
        return [criterion("every change of this ticket merged",
                          "the test suite runs with deprecation warnings shown",
                          "the output lists no deprecation warning")]
    if base in ("rotate", "revoke", "replace", "renew") and _SECRET_RE.search(action.obj):
        exposed = re.search(r"\b(?:were|was|got|have been|has been)\s+(?P<how>exposed|leaked|"
                            r"committed|published|shared)\s+(?P<where>[^.;]+)", reading.text)
        old = f"the old values, {exposed.group('how')} {exposed.group('where')}," if exposed \
            else "the old values"
        return [
            criterion(f"new values for {obj} {they(action.rest)} in place".replace("  ", " "),
                      "the application makes a call that needs each of them",
                      "every call succeeds"),
            criterion(f"{old} revoked", "a request is made with one of them",
                      "the request is refused"),
        ]
    if base == "replace":
        old, _, new = action.phrase.partition(" with ")
        old = they(old.split(" ", 1)[1]) if " " in old else old
        new = re.split(r"\s+(?:in|on|for|to)\s+", new)[0] if new else "the new one"
        return [
            criterion("the change merged", f"someone searches the code for {old}",
                      "no import or call is found"),
            criterion("the change merged", "the production build runs",
                      f"it uses {new} and the build passes"),
        ]
    if base == "clean" or action.verb == "clean up":
        return [
            criterion(f"{obj} older than the agreed retention period", "the clean-up runs",
                      f"those {obj} are deleted and newer ones are kept"),
            criterion("the clean-up scheduled to run every day", "a week has passed",
                      f"the disk space used by {obj} stays within the agreed limit"),
        ]
    if re.search(r"\bbackups?\b", action.obj):
        return _backup_criteria(action, reading)
    comparative = re.match(r"^(?P<x>.+?)\s+(?P<c>smaller|lighter|shorter|cheaper|leaner)\b"
                           r"(?P<how>.*)$", f"{action.obj} {action.rest}".strip())
    if base == "make" and comparative:
        size = re.search(r"\d+(?:\.\d+)?\s?(?:[KMGT]B|ms|s|seconds|minutes)\b", reading.text)
        thing = they(comparative.group("x"))
        how = they(comparative.group("how")).strip()
        return [
            criterion(f"{thing} built {how}".strip(), f"someone measures {thing}",
                      f"{thing} {_is(thing)} {comparative.group('c')} than "
                      f"{size.group(0) if size else 'before the change'}"),
            criterion(f"{thing} built {how}".strip(), "the full test suite runs against them",
                      "every test passes"),
        ]
    if base in ("remove", "delete", "drop", "retire", "deprecate"):
        short = english.noun_phrase(obj) or obj
        return [
            criterion(f"the change merged for {obj} {they(action.rest)}".strip(),
                      f"someone searches the code and the settings for {short}",
                      "no reference is found"),
            criterion("the change deployed to staging", "the full test suite runs",
                      "every test passes"),
        ]
    if base in ("write", "document") and re.search(r"\btests?\b", action.obj):
        return [criterion(f"{obj} {they(action.rest)}".strip(), "they run on a fresh checkout",
                          "they pass and cover each step of the flow they name")]
    if base in ("run",) and re.search(r"\b(?:on|for) every\b", action.rest):
        where = re.sub(r"\s+(?:on|for) every\b.*$", "", they(action.rest))
        return [criterion("a pull request with a change", "it is opened",
                          f"{obj} run {where} and the result shows on the pull request")]
    if base in ("write", "document"):
        return [criterion(f"{obj} {they(action.rest)} published".strip(),
                          "a developer new to the team follows it",
                          "they make a first working change without asking anyone")]
    if base in ("test", "rehearse", "verify", "check", "audit", "measure"):
        return [criterion(f"a copy of {obj}", f"the team {english.third_person(action.verb)}"
                          f" {they(action.obj)} {they(action.rest)}".strip(),
                          "the result and how long it took are recorded in this ticket")]
    if base in ("plan", "schedule", "announce"):
        return [criterion("the change not started yet", f"the team plans {obj}",
                          "the date, the length and the owner are posted in the team channel")]
    detail = they(f"{action.obj} {action.rest}".strip())
    return [criterion(f"{detail} done on staging", "a reviewer compares it with production",
                      "the difference matches this ticket and every test passes")]


def _backup_criteria(action: Action, reading: Reading) -> list[dict[str, str]]:
    """Backups are checked by existing, by expiring on time and by restoring."""
    what = they(english.noun_phrase(action.obj) or action.obj)
    source = re.search(r"\bof\s+(?P<db>(?:the|our)\s+[\w\s-]+?)(?=\s+(?:with|to|and|every|on)\b|$)",
                       f"{action.obj} {action.rest}")
    database = they(source.group("db")) if source else "the data"
    out = [criterion("the backup job running on production", "a day has passed",
                     f"a new backup of {database} is stored with its date")]
    keep = re.search(r"\b(?P<n>\d+)\s+(?P<unit>days?|weeks?|months?)\s+retention\b", reading.text)
    if keep:
        out.append(criterion(f"{what} older than {keep.group('n')} {keep.group('unit')}",
                             "the backup job runs", "those backups are deleted and newer ones "
                             "are kept"))
    if re.search(r"\brestore\b", reading.text, re.IGNORECASE):
        every = re.search(r"\b(?P<often>daily|weekly|monthly|quarterly)\s+restore", reading.text)
        out.append(criterion(f"the {every.group('often') if every else 'regular'} restore test",
                             "it restores the latest backup into an empty database",
                             "the restored database opens and its row counts match production"))
    return out


def _qualifier_criteria(reading: Reading, target: str) -> list[dict[str, str]]:
    """Checks for what the description adds after the work: "including …", "without …",
    and a list after a colon."""
    out = []
    including = re.search(r"\bincluding\s+(?P<what>[^,.;]+)", reading.text, re.IGNORECASE)
    if including:
        what = they(including.group("what"))
        out.append(criterion("the work finished", f"someone counts {what}",
                             f"all of {what} {_is(what)} there and none is missing"))
    if re.search(r"\bwithout (?:any )?downtime\b", reading.text, re.IGNORECASE):
        out.append(criterion("a check that calls the site every 10 seconds",
                             "the change is rolled out", "every call gets an answer"))
    today = [they(english.lower_first(s)) for s in reading.more if is_current_state(s)]
    given = f"{target} after the change"
    if today:
        now = re.sub(r"\s+currently\b", "", today[0])
        given += f" (today {now})"
    for sentence in reading.more:
        if is_current_state(sentence):
            continue
        for then in split_requirement(statement_then(sentence)):
            out.append(criterion(given, "a reviewer checks it", then))
    colon = re.search(r":\s*(?P<list>[^.]+)", reading.text)
    if colon and reading.steps and not reading.steps[0].startswith(("upgrade", "migrate")):
        limited = re.search(r"\b(?:limit|rate|quota|throttl)", reading.text, re.IGNORECASE)
        for item in re.split(r",\s+(?:and\s+)?|;\s*", colon.group("list"))[:3]:
            then = _requirement(item, target)
            if not then:
                continue
            verb_first = item.split()[0].lower() in english.VERBS
            when = ("a client sends one request more than the limit" if limited and verb_first
                    else "a client stays within the limit" if limited
                    else "a client sends requests to it")
            out.append(criterion(f"{target} after the change", when, then))
    size = re.search(r"\((?P<lib>[\w.-]+) is (?P<size>\d+(?:\.\d+)?\s?[KMG]B)\)", reading.text)
    if size:
        out.append(criterion("the production build after the change",
                             "someone lists what the bundle contains",
                             f"{size.group('lib')} ({size.group('size')}) is no longer in it"))
    return out


def _requirement(item: str, target: str) -> str:
    item = item.strip(" .")
    if not item or len(item.split()) < 2:
        return ""
    verb = item.split()[0].lower()
    if verb in english.VERBS:
        return f"{target} {english.third_person(verb)} {they(' '.join(item.split()[1:]))}"
    return f"{target} accepts {they(item)}"


def done_criteria(reading: Reading) -> list[dict[str, str]]:
    """Tasks: a check anyone can run for each piece of the work."""
    steps = list(reading.steps) or [reading.goal]
    first = parse_action(steps[0])
    target = they(first.obj) if first and first.obj else "the system"
    if first and first.base == "add" and re.search(r"\bto\s+(?P<t>(?:the|our)\s+[\w\s-]+)",
                                                   first.rest):
        target = they(re.search(r"\bto\s+(?P<t>(?:the|our)\s+[\w\s-]+)", first.rest).group("t"))
    criteria = []
    qualifiers = _qualifier_criteria(reading, target)
    colon = reading.text.split(":", 1)[1] if ":" in reading.text else ""
    for step in steps[:4]:
        action = parse_action(step)
        if action and not (qualifiers and (action.base in ("add", "implement", "build")
                                           and step == steps[0] or step in colon)):
            criteria += _step_criteria(action, reading)
    criteria += qualifiers
    if len(criteria) < 2:
        criteria.append(criterion(f"{target} after the change",
                                  "the CI pipeline runs on the main branch",
                                  "every check passes"))
    if len(criteria) < 2:
        criteria.append(criterion("the change deployed to staging",
                                  "a teammate follows the steps in the pull request",
                                  "they see the result the pull request describes"))
    return finish(criteria, reading)
