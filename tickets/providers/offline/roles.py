"""Who a description speaks for: the role it names, and the openings around it.

"As a warehouse picker I want …", "Let team admins export …", "Support agents need a way to
…", "we want that the managers can approve …": `find_role` finds the people and returns the
rest of the sentence (what they want); `strip_leads` drops openings that only say someone
wants something ("please add the possibility to …"); `mentioned_role` is the first person the
description names anywhere, for a story that must speak for them.
"""

import re

from . import english
from .english import word_set

ROLE_WORDS = word_set("""
user admin administrator customer member guest visitor owner manager agent staff employee team
person people client buyer seller shopper merchant vendor supplier partner developer engineer
designer tester analyst accountant auditor editor viewer reviewer author writer reader student
teacher instructor tutor parent patient doctor nurse clinician driver rider passenger courier
picker packer operator dispatcher technician recruiter candidate applicant subscriber follower
creator host attendee organizer organiser speaker player coach volunteer donor tenant landlord
resident officer moderator contributor maintainer approver requester lead supervisor cashier
traveler traveller freelancer contractor consultant executive director founder marketer
salesperson sales finance support hr ops admins accounting learner trainer employer worker
pharmacist therapist caregiver homeowner investor lawyer broker agency merchant
""")


# Words that never belong to a role although they end like one ("order", "filter").
_NOT_ROLE = word_set("""
order filter number error color colour monitor header footer folder counter letter layer
marker paper poster register timer trigger cluster container server browser computer center
centre other either never whether after over under water matter power newsletter calendar
barcode export import report barcodes
""")


_PERSON_SUFFIX_RE = re.compile(r"(?:er|or|ist|ian|ant|ee)s$")


_MODALS = (r"(?:should|must|need to|needs to|want to|wants to|would like to|have to|has to|"
           r"needs? (?:a way|an option|the ability|a possibility|an easy way) to|can|could|will)")


_NEGATED_RE = re.compile(r"^(?:can't|cannot|can not|are unable to|is unable to|don't|do not|"
                         r"doesn't|does not)\b", re.IGNORECASE)


# Openings that say "we would like" rather than what is wanted.
_WANT_LEADS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:please|pls|kindly)\s+",
        r"^(?:it would be (?:nice|great|good|helpful|useful)|would be (?:nice|great))\s+"
        r"(?:to|if)\s+(?:we\s+could\s+|I\s+could\s+|users\s+could\s+)?",
        r"^(?:can|could) (?:we|you|I)\s+(?:please\s+)?",
        r"^(?:we|I)\s+(?:really\s+)?(?:need|want|would like|'d like|wish|should|must)\s+"
        r"(?:to\s+)?(?:be able to\s+)?",
        r"^(?:we|I)\s+(?:have|has)\s+to\s+",
        r"^(?:we|I)\s+(?:want|would like|need)\s+that\s+",
        r"^that\s+",
        r"^(?:there should be|there needs to be|we need|I need)\s+",
        r"^need\s+(?:to\s+)?",
        r"^(?:add|provide|implement|introduce|build|create|give|offer)\s+(?:an?\s+|the\s+)?"
        r"(?:ability|option|possibility|way|feature|functionality|function)\s+(?:to|for|of)\s+",
        r"^(?:an?\s+|the\s+)?(?:ability|option|possibility|way|feature)\s+(?:to|for|of)\s+",
        r"^(?:an?\s+|the\s+)?way\s+to\s+",
        r"^(?:feature request|request|idea|todo|task|story|bug)\s*:\s*",
    )
]


AS_A_RE = re.compile(
    r"\bas an?\s+(?P<role>[^,.;]+?)\s*,?\s+(?:I|we)\s+(?:really\s+)?(?:want|need|would like|"
    r"'d like|wish|should be able|must be able|expect)\s+(?:to\s+)?(?:be able to\s+)?",
    re.IGNORECASE,
)


_LET_RE = re.compile(r"^(?:please\s+)?(?:let|allow|enable|help)\s+(?P<rest>.+)$", re.IGNORECASE)


_ROLE_SUBJECT_RE = re.compile(
    rf"^(?P<subject>(?:[\w-]+\s+){{0,3}}?[\w-]+)\s+(?:on|in|using|with|from)?\s*"
    rf"{_MODALS}\s+(?:be able to\s+)?(?P<rest>.+)$",
    re.IGNORECASE,
)


_FOR_ROLE_RE = re.compile(r"\bfor\s+(?:the\s+|all\s+|our\s+)?(?P<role>(?:[\w-]+\s+){0,2}[\w-]+)",
                          re.IGNORECASE)


def is_role_word(word: str) -> bool:
    lower = word.lower().strip(",.")
    if lower in _NOT_ROLE or english.singular(lower) in _NOT_ROLE:
        return False
    return (english.singular(lower) in ROLE_WORDS or lower in ROLE_WORDS
            or bool(_PERSON_SUFFIX_RE.search(lower)))


def role_at_start(text: str) -> tuple[str, str]:
    """("team admins", "export the list") from "team admins export the list"; ("", text) when
    the text does not start with people."""
    tokens = text.split()
    start = 0
    while start < len(tokens) and tokens[start].lower() in ("the", "our", "all", "any", "some",
                                                            "every", "each", "my"):
        start += 1
    for end in range(start, min(start + 4, len(tokens))):
        if not is_role_word(tokens[end]):
            continue
        while end + 1 < len(tokens) and is_role_word(tokens[end + 1]) and (
            english.is_plural(tokens[end + 1]) or tokens[end + 1].lower() in ROLE_WORDS
        ) and tokens[end + 1].lower() not in english.VERBS:
            end += 1
        role = " ".join(tokens[start:end + 1])
        if any(word.lower() in english.VERBS - english.NOUN_VERBS for word in tokens[start:end]):
            return "", text
        return role, " ".join(tokens[end + 1:])
    return "", text


def role_name(phrase: str) -> str:
    """"Team admins" -> "team admin"; "people" -> "person"; kept lower-case."""
    phrase = re.sub(r"^(?:that\s+|which\s+)?(?:the|our|all|any|some|every|each|my|a|an)\s+", "",
                    phrase.strip(),
                    flags=re.IGNORECASE)
    words = phrase.split()
    if not words:
        return ""
    words = [w if (w.isupper() and len(w) > 1) else w.lower() for w in words]
    role = english.singular_phrase(" ".join(words))
    return "" if role in ("I", "we", "you", "someone", "somebody", "everyone") else role


def strip_leads(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        for pattern in _WANT_LEADS:
            text = pattern.sub("", text, count=1)
    return text.strip()


def find_role(text: str, lead: str) -> tuple[str, str]:
    """(role, rest of the lead after the role's words)."""
    match = AS_A_RE.search(text)
    if match:
        rest = lead[AS_A_RE.search(lead).end():] if AS_A_RE.search(lead) else lead
        return role_name(match.group("role")), rest
    lead = strip_leads(lead)
    let = _LET_RE.match(lead)
    if let:
        role, rest = role_at_start(let.group("rest"))
        if role:
            return role_name(role), re.sub(r"^to\s+", "", rest)
    subject = _ROLE_SUBJECT_RE.match(lead)
    if subject:
        role, rest = role_at_start(subject.group("subject"))
        if role and not rest:
            return role_name(role), subject.group("rest")
    role, rest = role_at_start(lead)
    if role and rest and (english.starts_with_verb(rest) or _NEGATED_RE.match(rest)
                          or re.match(r"^(?:on|in|using|with|from)\b", rest, re.IGNORECASE)
                          and english.is_plural(role.split()[-1])):
        return role_name(role), lead
    for sentence in (lead, text):
        for found in _FOR_ROLE_RE.finditer(sentence):
            role, rest = role_at_start(found.group("role"))
            if role and english.is_plural(role.split()[-1]) and not rest:
                return role_name(role), lead
    return "", lead


def mentioned_role(text: str) -> str:
    """The first people the description names anywhere ("mandatory for admins" -> "admin");
    nobody in particular ("users") does not count."""
    tokens = re.findall(r"[\w'-]+|[.!?]", text)
    for index, token in enumerate(tokens):
        word = english.singular(token.lower())
        if word in ROLE_WORDS and word not in ("user", "person", "people", "team", "support",
                                                "sales", "finance", "staff"):
            before = tokens[index - 1].lower() if index else ""
            if before and before not in _STOP_BEFORE_ROLE and before not in english.VERBS \
                    and before.isalpha() and before not in ("it", "they", "we", "i", "you"):
                return f"{before} {word}"
            return word
    return ""


_STOP_BEFORE_ROLE = word_set("""
a an the this that these those my our your their his her its all any every each some no for to
of in on at by with from and or but as if than then when while into be is are was were can
could should must need needs want wants would will let allow enable help give get gets other
new
""")

