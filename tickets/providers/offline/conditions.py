"""A bug report's conditions turned into what a tester does.

"the user switches the currency to EUR" -> "switch the currency to EUR"; "the cart has a
discount code" -> "add a discount code to the cart"; "the phone has no network connection" ->
"use a phone with no network connection"; "a coupon and a gift card are both applied" ->
"apply a coupon and a gift card"; "users in the America/Sao_Paulo timezone" -> "set the
account's time zone to America/Sao_Paulo". `split_and` keeps "A and B" together unless both
sides are clauses.
"""

import re

from . import english

_SUBJECT_WORDS = (r"(?:I|you|we|they|he|she|someone|people|(?:the |a )?users?|"
                  r"(?:the |a )?customers?)")


_TRY = r"(?:try(?:ing)? to\s+|tries to\s+|try\s+|attempts? to\s+)?"


_STATE_HAS_RE = re.compile(r"^(?P<x>(?:the|a|an|my|their|our)\s+[\w\s'-]+?)\s+(?:has|have)\s+"
                           r"(?P<no>no\s+)?(?P<y>.+)$", re.IGNORECASE)


TIMEZONE_RE = re.compile(r"\b(?:users?|people|customers?)\s+in\s+(?:the\s+)?(?P<tz>[\w/+-]+)"
                          r"\s+(?:time\s?zone)\b", re.IGNORECASE)


def base_verb(word: str) -> str:
    """"switches" -> "switch", "gives" -> "give", "filtering" -> "filter"; "" if no verb."""
    lower = word.lower()
    candidates = [lower]
    if lower.endswith("ies"):
        candidates.append(lower[:-3] + "y")
    if lower.endswith("es"):
        candidates.append(lower[:-2])
    if lower.endswith("s"):
        candidates.append(lower[:-1])
    if lower.endswith("ing"):
        stem = lower[:-3]
        candidates += [stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2]
                       else stem]
    if lower.endswith("ied"):
        candidates.append(lower[:-3] + "y")
    if lower.endswith("ed"):
        candidates += [lower[:-2], lower[:-1], lower[:-3]]
    if lower in ("login", "logging"):
        return "log in"
    return next((c for c in candidates if c in english.VERBS), "")


def as_step(clause: str) -> str:
    """A condition as something a tester does: "the user switches the currency to EUR" ->
    "switch the currency to EUR"; "the phone has no network connection" -> "use a phone with
    no network connection". Empty when the clause cannot be made an action."""
    clause = clause.strip(" ,.")
    tz = TIMEZONE_RE.search(clause)
    if tz:
        return f"set the account's time zone to {tz.group('tz')}"
    update = re.match(r"^(?:the\s+)?(?P<v>(?:version\s+)?v?\d+(?:\.\d+)+)\s+"
                      r"(?P<what>update|release|"
                      r"upgrade|version)$", clause, re.IGNORECASE)
    if update:
        return f"install the {update.group('v')} {update.group('what')}"
    clause = re.sub(rf"^{_SUBJECT_WORDS}\s+{_TRY}", "", clause, flags=re.IGNORECASE)
    clause = re.sub(rf"^{_TRY}", "", clause, flags=re.IGNORECASE)
    has = _STATE_HAS_RE.match(clause)
    if has:
        thing = re.sub(r"^(?:the|my|their|our)\s+", "", has.group("x"), flags=re.IGNORECASE)
        if has.group("no"):
            return f"use {english.with_article(thing)} with no {has.group('y')}"
        return f"add {has.group('y')} to the {thing}"
    passive = re.match(r"^(?P<x>.+?)\s+(?:is|are|was|were|have been|has been)\s+(?:both\s+|all\s+)?"
                       r"(?P<done>\w+(?:ed|en))(?P<particle>\s+(?:in|on|out|up|off))?$", clause)
    if passive and base_verb(passive.group("done")):
        particle = (passive.group("particle") or "").strip()
        return " ".join(part for part in (base_verb(passive.group("done")), particle,
                                          passive.group("x")) if part)
    words = clause.split()
    if not words:
        return ""
    verb = base_verb(words[0])
    if not verb:
        if re.match(r"^(?:the|a|an)\s+[\w\s-]+?\s+(?:\w+s|is|are)\b", clause):
            return f"make sure {clause}"
        return ""
    rest = " ".join(words[1:])
    if verb == "log in" and rest.lower().startswith("in "):
        rest = rest[3:]
    rest = re.sub(r"^(?!(?:the|a|an|my|our|their|this|all)\b)(?P<x>[\w-]+\s+(?:page|screen|tab|"
                  r"view|list|menu|settings))\b", r"the \g<x>", rest)
    return f"{verb} {rest}".strip()


def split_and(text: str) -> list[str]:
    """"the cart has X and the user switches Y" -> both; "filtering by A and sorting by B" ->
    both; "Apple Pay and Google Pay" stays one."""
    parts = re.split(r"\s+and\s+|,\s+(?:and\s+)?", text)
    out = [parts[0]]
    for part in parts[1:]:
        first = part.split()[0].lower() if part.split() else ""
        clause = re.search(r"\b(?:is|are|was|were|has|have|had|does|do|did|can|will)\b",
                           out[-1]) or any(base_verb(word) for word in out[-1].split()[1:]
                                           if word.endswith(("s", "ed")))
        if (re.match(rf"^{_SUBJECT_WORDS}\b|^(?:the|my|our|a|an)\s", part, re.IGNORECASE)
                and len(part.split()) > 2 and clause) or base_verb(first) and first.endswith("ing"):
            out.append(part)
        else:
            out[-1] = f"{out[-1]} and {part}"
    return [part.strip() for part in out if part.strip()]

