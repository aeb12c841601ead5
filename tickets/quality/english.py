"""The English wording the quality rules look for: vague outcomes, filler benefits, the verbs
a reproduction step starts with, the nouns that name a person, and the words a title needs
more than. Only the English-wording rules read this module (they do not run on tickets in
another language).
"""

import re

from tickets.quality.text import singular, word_set

# Words in a Then that nobody can check ("fast", "as expected"): whole words, matched in
# lowercased text (several times faster than ignoring case).
VAGUE_RE = re.compile(
    r"\b(?:fast(?:er)?|quick(?:ly|er)?|easy|easily|easier|user[- ]friendly|properly|"
    r"correctly|as expected|intuitive(?:ly)?|seamless(?:ly)?|appropriate(?:ly)?|"
    r"efficient(?:ly)?|smooth(?:ly)?|nicely|good|better|improved|optimal(?:ly)?|"
    r"reasonabl[ey]|adequate(?:ly)?|sufficient(?:ly)?|acceptabl[ey]|normally|"
    r"gracefully|performant|robust(?:ly)?|works(?: fine| well)?|"
    r"as (?:described|intended|designed)|matches the description|"
    r"expected (?:behaviou?r|result|outcome)|handled|etc)\b"
)

# A benefit that says nothing about why ("so that I can get my work done").
FILLER_BENEFIT_RE = re.compile(
    r"get (?:my|our|their|the) (?:work|job|tasks?|things?) done|workarounds?\b|"
    r"\b(?:user|customer|my|our|their|better|good|great|nice|overall) experience\b|"
    r"\bexperience (?:is|gets) (?:improved|better)\b|"
    r"^(?:it|this|that|the (?:feature|app|system|product|tool)) (?:works|is done|is better)$|"
    r"^(?:i|we|they|users?) (?:can |could )?(?:use|do|have|access|try) "
    r"(?:it|this|that|the (?:feature|app|system|product|tool))$|"
    r"\b(?:am|are|is|be|feel|feels|stay|stays) (?:happy|happier|satisfied|pleased)\b|"
    r"\b(?:more|be|am|are) (?:productive|efficient)$|"
    r"^(?:i|we|they|users?) (?:can )?save (?:some )?time$|"
    r"requirements? (?:is|are) met|"
    r"\b(?:life|work|things|it) (?:is|are|gets?) easier\b|make (?:it|things|life|my life) easier|"
    r"\bget (?:more |real |some )?value\b|^(?:it works|ok|done|yes)$"
)

# A filler benefit has one of these words: the regex runs only on benefits that do.
FILLER_WORDS = word_set("""
    done workaround workarounds experience works better use do have access try happy happier
    satisfied pleased productive efficient time met easier value ok yes
""")

# "so" as a conjunction: "… so finance can reconcile … so that …" says it twice.
# Both read lowercased text.
SO_RE = re.compile(r"\bso\b")
SO_THAT_RE = re.compile(r"\bso\s+that\b")

# "As a <role>, I want <goal>[,] so that <benefit>": the comma after the role is optional too
# (a missing comma is not what makes a story unusable).
STORY_RE = re.compile(
    r"^\s*as\s+(?:an?|the)\s+(?P<role>\S.*?)\s*,?\s+i\s+want\s+(?P<goal>\S.*?)\s*,?\s+"
    r"so\s+that\s+(?P<benefit>\S.*?)\s*[.!]?\s*$",
    re.IGNORECASE | re.DOTALL,
)
STORY_ROLE_RE = re.compile(
    r"^\s*as\s+(?:an?|the)\s+(?P<role>\S.*?)\s*(?:,|\s+i\s+(?:want|need|would like)\b)",
    re.IGNORECASE | re.DOTALL,
)

# Imperative verbs a reproduction step starts with ("Open …", "Tap …").
ACTION_VERBS = word_set("""
    access accept add allow apply approve archive assign attach authenticate block book browse
    buy call cancel change check choose clear click close collapse comment compare complete
    configure confirm connect copy create deactivate delete deny deploy disable disconnect
    double-click double-tap download drag drop duplicate edit empty enable enter ensure expand
    export fill filter follow force generate give go grant have hold hover import insert install
    invite kill launch leave link load log login logout look make mark measure move mute
    navigate note notice observe open order paste pause pay pick place play post prepare press
    print publish put record refresh register reject reload remove rename reopen repeat request
    reset resize restart restore resume return revoke right-click rotate run save scan schedule
    scroll search select send set share sign signup start stop submit subscribe swipe switch sync
    tag tap tick toggle trigger try turn type uncheck uninstall unlink unsubscribe update upgrade
    upload use verify view visit wait watch write zoom
""")

# A step that starts with a verb but states a fact ("Search is broken") is not an action.
STATE_WORDS = word_set("""
    is are was were does doesn't doesnt did didn't has have had can't cannot can won't isn't
    aren't wasn't keeps stays shows fails breaks crashes
""")

# What may come before a step's verb: numbering words and a leading "On iOS Safari, …".
STEP_FILLERS = word_set("then next now finally first again and please also")
STEP_LEAD_PREPOSITIONS = word_set(
    "on in as from with using at after while once if within inside via")

# Nouns that name a person or a group that acts (singular). Words that also name software
# ("client", "editor", "player", "worker", "operator", "host") are left out: a description's
# "the API client should retry" must not read as a role.
ROLE_NOUNS = word_set("""
    accountant admin agent analyst applicant approver architect attendee auditor author
    bookkeeper buyer candidate caregiver cashier chef citizen clerk clinician coach consultant
    contractor contributor coordinator courier creator customer dentist designer developer
    director dispatcher doctor donor driver employee employer engineer executive farmer finance
    founder freelancer guest homeowner instructor investor landlord lawyer leader learner
    librarian maintainer manager marketer member merchant moderator nurse officer organiser
    organizer owner packer paralegal parent participant partner passenger patient pharmacist
    photographer physician picker pupil receptionist recruiter representative requester
    resident reviewer rider salesperson seller shopper staff student subscriber supervisor
    supplier teacher technician tenant tester therapist trader trainer traveler traveller tutor
    user vendor visitor volunteer waiter writer person people someone everyone anyone somebody
    everybody
""")

# Every way a role noun is written, singular or plural, for a quick look-up.
_ROLE_FORMS = ROLE_NOUNS | {f"{noun}s" for noun in ROLE_NOUNS} | {
    f"{noun[:-1]}ies" for noun in ROLE_NOUNS if noun.endswith("y")} | {
    f"{noun}es" for noun in ROLE_NOUNS if noun.endswith(("ch", "sh", "x", "s"))} | {
    "administrator", "administrators"}

# A role made of only these names nobody in particular ("a user").
GENERIC_ROLES = word_set("user person people someone everyone anyone somebody everybody")

# Words that end a role phrase or never belong in one.
STOPWORDS = word_set("""
    a an the this that these those my our your their his her its all any every each some no
    i we you they he she it me us them who which what whose to of for in on at by with from
    and or but so as if than then when while into onto up out be is are was were been can could
    should must need needs want wants would will shall may might have has had do does did not
    also only just more most very too there here let allow enable help give get gets
""")

# A title made of these (and stopwords) names nothing: "Fix bug", "New feature request".
GENERIC_TITLE_WORDS = word_set("""
    bug bugs fix fixes fixed fixing issue issues problem problems error errors feature features
    request requests task tasks story stories ticket tickets update updates updated change changes
    improvement improvements improve enhancement enhancements new add implement implementation
    misc miscellaneous stuff thing things todo wip various minor small general work item items
    broken fail fails failing failure
""")

# Modal verbs after which the subject is who acts: "Support agents need …", "managers can …".
# These read the lowercased description (several times faster than ignoring case).
_SUBJECT_RE = re.compile(
    r"\b(?:can|could|should|must|need|needs|want|wants|would like|are able|is able|have to|"
    r"has to|will be able)\b"
)
_GRANT_RE = re.compile(
    r"\b(?:let|allow|allows|enable|enables|help|helps|give|gives|permit|empower)\s+")
_FOR_TO_RE = re.compile(r"\bfor\s+((?:[\w'-]+\s+){1,4}?)to\b")
_WORD_RE = re.compile(r"[\w'-]+")
_EXPLICIT_ROLE_RE = re.compile(
    r"\bas\s+(?:an?|the)\s+(?P<role>[^,.;]+?)(?:,|\s+(?:i|we)\s+(?:want|need|would like)\b)"
)


def _role_word(token: str) -> str:
    word = singular(token.casefold().strip("'-"))
    return "admin" if word == "administrator" else word


def _role_at_start(tokens: list[str]) -> tuple[str, ...]:
    """The role phrase opening `tokens` ("team admins export …" -> team, admin)."""
    while tokens and tokens[0].casefold() in STOPWORDS:
        tokens = tokens[1:]
    role: tuple[str, ...] = ()
    for index, token in enumerate(tokens[:4]):
        word = _role_word(token)
        if token.casefold() in STOPWORDS or word in ACTION_VERBS:
            break
        if word in ROLE_NOUNS:
            role = tuple(_role_word(t) for t in tokens[: index + 1])
    return role


def _role_ending_at(tokens: list[str], end: int) -> tuple[str, ...]:
    """The role phrase whose last word is tokens[end] ("… the team admins" -> team, admin):
    a person-noun and up to two words before it that are neither stopwords nor verbs."""
    if end < 0 or _role_word(tokens[end]) not in ROLE_NOUNS:
        return ()
    start = end
    while (start > 0 and end - start < 2 and tokens[start - 1].casefold() not in STOPWORDS
           and _role_word(tokens[start - 1]) not in ACTION_VERBS):
        start -= 1
    return tuple(_role_word(token) for token in tokens[start : end + 1])


def described_roles(description: str) -> list[tuple[str, ...]]:
    """Who the description says the work is for, as phrases of singular words.

    An explicit "As a <role>" wins; otherwise whoever is let/allowed/given something, is the
    subject of "can/should/need/want", or comes in "for <role> to"; failing those, every
    person-noun the description mentions (the noun alone). Nobody in particular ("users") is
    left out: it names no role.
    """
    description = description.lower()  # roles are compared in lowercase anyway
    explicit = _EXPLICIT_ROLE_RE.search(description)
    if explicit:
        found = [tuple(_role_word(token) for token in _WORD_RE.findall(explicit.group("role"))
                       if token.casefold() not in STOPWORDS)]
    else:
        found = []
        for match in _GRANT_RE.finditer(description):
            found.append(_role_at_start(_WORD_RE.findall(description, match.end())[:5]))
        for match in _SUBJECT_RE.finditer(description):
            before = _WORD_RE.findall(description, max(0, match.start() - 60), match.start())
            found.append(_role_ending_at(before, len(before) - 1))
        for match in _FOR_TO_RE.finditer(description):
            tokens = _WORD_RE.findall(match.group(1))
            found.append(_role_ending_at(tokens, len(tokens) - 1))
        if not any(found):
            # Mere mentions say less about the role's wording: only its noun must match
            # ("… notifies partners …" names partners, not "notify partners").
            found = [(_role_word(token),) for token in _WORD_RE.findall(description)
                     if token.casefold() in _ROLE_FORMS]
    return [role for role in dict.fromkeys(found)
            if role and not (len(role) == 1 and role[0] in GENERIC_ROLES)]


def role_words(role: str) -> set[str]:
    """The words of a story's role, singular, for comparing with a described role."""
    return {_role_word(token) for token in _WORD_RE.findall(role)
            if token.casefold() not in STOPWORDS}


_PERSON_SUFFIXES = ("er", "or", "ist", "ian", "ant", "ent", "ee")


def names_a_person(role: str) -> bool:
    """Whether a story's role reads like someone ("a user who works late", "photographer")."""
    tokens = _WORD_RE.findall(role)
    if not tokens or len(tokens) > 8:
        return False
    return any(_role_word(token) in ROLE_NOUNS
               or (len(token) > 4 and singular(token.casefold()).endswith(_PERSON_SUFFIXES))
               for token in tokens)
