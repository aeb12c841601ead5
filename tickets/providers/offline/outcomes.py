"""What an action visibly does, and why someone wants it: the knowledge behind the criteria.

`parse_action("export the monthly invoice list as CSV")` splits a goal into verb, object and
the rest; `outcome` says what a tester sees once the action is done ("a CSV file of the monthly
invoice list downloads") and `benefit` what it is for when the description does not say.
The tables are by verb and by topic word: a small, reviewable piece of product sense.
"""

import re
from dataclasses import dataclass

from . import english

_PARTICLES = ("up", "in", "out", "on", "off", "back", "down", "over", "through")
# Verbs whose particle belongs to them: "set up backups", not "rehearse on staging".
_PHRASAL_VERBS = frozenset("""
set up, sign in, sign out, sign up, log in, log out, turn on, turn off, clean up, back up,
fill in, fill out, check in, check out, opt in, opt out, roll out, roll back, look up, pick up,
scale up, scale down, shut down, write down, switch on, switch off, hand over, follow up,
start over, top up, print out, log off, tidy up, break down, set out, carry out, phase out
""".replace("\n", " ").split(", "))
_PREPOSITIONS = ("as", "in", "into", "from", "to", "by", "with", "on", "for", "via", "using",
                 "at", "per", "without", "before", "after", "across", "between", "inside",
                 "under", "over", "within", "instead", "through", "while", "during", "and")
_PURPOSE_RE = re.compile(r"\s+(?:in order\s+)?to\s+(?P<purpose>(?:see|know|find|get|check|view|"
                         r"learn|pick|choose|confirm|avoid|track|understand|decide|keep|make|"
                         r"save|reach|tell|spot|share|compare|plan|prove)\b.+)$", re.IGNORECASE)
_FORMAT_LEAD = r"\b(?:as|in|to|into)\s+(?:an?\s+|one\s+|a single\s+)?"
_FORMAT_RE = re.compile(_FORMAT_LEAD + r"(?P<format>CSV|PDF|JSON|XML|XLSX|Excel|excel|spreadsheet|"
                        r"PNG|ZIP|ICS|Markdown)\b(?:\s+(?:file|format))?", re.IGNORECASE)
_FORMAT_NAMES = {"excel": "Excel", "spreadsheet": "spreadsheet"}


@dataclass(frozen=True)
class Action:
    verb: str  # "export", "set up", "bulk edit"
    obj: str  # "the monthly invoice list"
    rest: str  # "as CSV"
    purpose: str = ""  # "see what to pick next"
    file_format: str = ""  # "CSV"

    @property
    def base(self) -> str:
        """The verb without an adverb or particle: "bulk edit" -> "edit"."""
        return self.verb.split()[-1] if self.verb.split()[-1] not in _PARTICLES else (
            self.verb.split()[-2] if len(self.verb.split()) > 1 else self.verb)

    @property
    def phrase(self) -> str:
        return " ".join(part for part in (self.verb, self.obj, self.rest) if part)

    @property
    def full(self) -> str:
        return f"{self.phrase} to {self.purpose}" if self.purpose else self.phrase

    @property
    def head(self) -> str:
        """The object's main noun: "the monthly invoice list" -> "list"."""
        nouns = [w for w in self.obj.split() if w.lower() not in ("the", "a", "an", "my", "their",
                                                                   "our", "all", "some", "any")]
        return re.sub(r"[^\w-]", "", nouns[-1]) if nouns else ""


def parse_action(goal: str) -> Action | None:
    """The goal as verb, object and rest, or None when it names a thing rather than a deed."""
    if not english.starts_with_verb(goal):
        return None
    purpose = ""
    match = _PURPOSE_RE.search(goal)
    if match:
        purpose = match.group("purpose")
        goal = goal[: match.start()]
    tokens = goal.split()
    verb_end = 0
    while tokens[verb_end].lower() not in english.VERBS and \
            tokens[verb_end].lower().split("-")[-1] not in english.VERBS:
        verb_end += 1
    verb_words = tokens[: verb_end + 1]
    particle = tokens[verb_end + 1].lower() if len(tokens) > verb_end + 1 else ""
    if f"{tokens[verb_end].lower()} {particle}" in _PHRASAL_VERBS and (
        len(tokens) == verb_end + 2 or tokens[verb_end + 2].lower() not in _PREPOSITIONS
    ):
        verb_words.append(tokens[verb_end + 1])
    after = tokens[len(verb_words):]
    # "pay with Apple Pay": no object; "select up to 100 products": "up to" counts the object.
    first = 0 if after and after[0].lower() not in _PREPOSITIONS else -1
    split = next((index for index, word in enumerate(after)
                  if index > first and word.lower() in _PREPOSITIONS
                  and not (word.lower() == "to" and index and after[index - 1].lower() == "up")
                  and not (word.lower() == "up" and index + 1 < len(after)
                           and after[index + 1].lower() == "to")), len(after))
    if first == -1:
        split = 0
    fmt = _FORMAT_RE.search(goal)
    file_format = ""
    if fmt:
        file_format = _FORMAT_NAMES.get(fmt.group("format").lower(), fmt.group("format"))
    return Action(
        verb=" ".join(word.lower() for word in verb_words),
        obj=" ".join(after[:split]),
        rest=" ".join(after[split:]),
        purpose=purpose,
        file_format=file_format,
    )


def _agree(noun_phrase: str, singular_verb: str, plural_verb: str) -> str:
    last = noun_phrase.split()[-1] if noun_phrase.split() else ""
    return plural_verb if english.is_plural(last) else singular_verb


def definite(phrase: str) -> str:
    """"report" -> "the report"; "a month" -> "the month"; names and plurals stay."""
    if not phrase or re.match(r"^(?:the|their|my|our|his|her|its|this|these|all|every|each|no)\b",
                              phrase, re.IGNORECASE) or phrase[:1].isupper():
        return phrase
    if re.match(r"^(?:an?)\s", phrase):
        return re.sub(r"^(?:an?)\s", "the ", phrase)
    return f"the {phrase}"


def they(text: str) -> str:
    """A phrase from the asker's voice into a tester's: "my cart" -> "their cart"."""
    swaps = {"my": "their", "mine": "theirs", "me": "them", "myself": "themselves", "I": "they",
             "I'm": "they're", "our": "the", "we": "they", "us": "them"}
    words = text.split()
    # "remember me" is the name of a checkbox, not the asker.
    return " ".join(word if word == "me" and index and words[index - 1].lower() == "remember"
                    else swaps.get(word, word) for index, word in enumerate(words))


def outcome(action: Action) -> str:
    """What a tester sees after `action` (a Then without its "Then")."""
    base, obj, head = action.base, they(action.obj) or "it", action.head
    rest = they(action.rest)
    if base in ("get", "receive"):
        return f"they receive {obj}{' ' + rest if rest.startswith('with ') else ''}"
    if base in ("drag", "move") and rest.startswith("to "):
        return f"{definite(english.noun_phrase(obj) or obj)} moves {they(rest)}"
    if action.purpose:
        seen = they(action.purpose)
        if seen.startswith(("see ", "view ", "know ", "find ")):
            return f"the screen shows {seen.split(' ', 1)[1]}"
        return f"the app lets them {seen} from the result"
    if base in ("export", "download"):
        kind = f"{action.file_format} file" if action.file_format else "file"
        where = re.sub(_FORMAT_LEAD + re.escape(action.file_format) + r"\b(?:\s+(?:file|format))?",
                       "", rest, flags=re.IGNORECASE).strip() if action.file_format else rest
        obj = definite(obj)
        return english.with_article(f"{kind} of {obj}{' ' + where if where else ''} downloads")
    if base in ("import", "upload"):
        thing = re.sub(r"^(?:an?)\s+", "the ", english.noun_phrase(obj)) or obj
        return f"{thing} {_agree(thing, 'is', 'are')} saved and shown with a success message"
    if base in ("invite",):
        invited = re.sub(r"^(?:an?)\s+", "the ", english.one_of(english.noun_phrase(obj) or obj))
        return f"{invited} {_agree(invited, 'receives', 'receive')} an invitation email"
    if base in ("show", "display", "offer") and rest.startswith("to "):
        extra = re.search(r",?\s+(?P<with>with\s+.+)$", rest)
        return f"{obj} {_agree(obj, 'is', 'are')} shown{' ' + extra.group('with') if extra else ''}"
    if base in ("see", "view", "show", "display", "check", "track", "review", "preview"):
        where = re.search(r"\b(?:on|in)\s+(?P<w>(?:a|an|the|their|my)\s+(?!(?:and|or)\b)[\w-]+"
                          r"(?:\s(?!(?:and|or|in|on|for)\b)[\w-]+)?)", rest)
        if where:
            place = re.sub(r"^(?:a|an|their|my)\b", "the", where.group("w"))
            left = (rest[: where.start()] + rest[where.end():]).strip()
            left = re.sub(r"^(?:directly|also)\s+", "", left)
            return f"{place} shows {obj} {left}".strip()
        return f"the screen shows {obj} {rest}".strip()
    if base in ("filter", "search", "find"):
        return f"only the {english.plural(head) if head else 'items'} that match are listed"
    if base in ("sort", "order", "reorder", "rank", "group"):
        return f"the {english.plural(head) if head else 'items'} are listed in the chosen order"
    if base in ("delete", "remove", "archive", "hide", "cancel", "revoke", "unpublish"):
        thing = re.sub(r"^(?:an?)\s+", "the ", english.noun_phrase(obj) or obj)
        return f"{thing} no longer {_agree(thing, 'appears', 'appear')} in the list"
    if base == "select":
        return f"{obj} {_agree(obj, 'is', 'are')} marked as selected with a count on screen"
    if base in ("edit", "change", "update", "rename", "correct", "adjust", "set", "choose",
                "customise", "customize", "configure", "toggle", "switch"):
        return f"the new {they(action.obj.split(' ', 1)[-1]) if action.obj else 'value'} " \
               f"{_agree(obj, 'is', 'are')} saved and shown after a page reload"
    if base in ("pay", "buy", "purchase", "checkout", "redeem", "subscribe", "renew"):
        return "the payment is confirmed on screen and a receipt email is sent"
    if base in ("send", "email", "notify", "remind", "message", "alert"):
        to = re.match(r"^to\s+(?P<who>(?:the\s+)?[\w-]+(?:\s[\w-]+)?)", rest)
        if to:
            who = to.group("who")
            who = who if who.startswith("the ") else f"the {who}"
            return f"{who} {_agree(who, 'receives', 'receive')} {obj} within a few minutes"
        where = f" {rest}" if re.match(r"^(?:in|on|by|via|through)\b", rest) else ""
        return f"{obj} {_agree(obj, 'receives', 'receive')} a message{where}".strip()
    if base in ("share",):
        return f"the person it was shared with can open {obj}"
    if base in ("book", "schedule", "reserve", "reschedule", "move"):
        if base == "move":
            return f"the {head or 'booking'} shows as moved with its new date and time"
        return f"the {head or 'booking'} shows as confirmed with its date and time"
    if base in ("get", "receive"):
        return f"they receive {obj}{' ' + rest if rest.startswith('with ') else ''}"
    if base in ("print",):
        return f"the print preview shows {obj} on A4 pages"
    if base in ("add", "create", "build", "post", "submit", "write", "register", "request"):
        return f"the new {head or 'item'} appears in the list with a success message"
    into = re.match(r"^(?:to|in|into)\s+(?P<where>(?:a|an|the|my|their)\s+[\w-]+)", rest)
    if base in ("save", "add", "move", "pin", "bookmark") and into:
        where = re.sub(r"^(?:a|an)\b", "the", they(into.group("where")))
        thing = re.sub(r"^(?:an?)\s+", "the ", english.one_of(obj)) if obj != "it" else obj
        return f"{thing} {_agree(english.noun_phrase(thing), 'appears', 'appear')} in {where}"
    if base in ("reset", "change", "update") and "password" in obj:
        return "they can sign in with the new password and the old one is refused"
    if base == "select":
        return f"{obj} {_agree(obj, 'is', 'are')} marked as selected with a count on screen"
    if base in ("save", "remember", "keep", "store", "restore"):
        thing = english.noun_phrase(obj) or obj
        return f"{thing} {_agree(thing, 'is', 'are')} saved and still there after a page reload"
    if base in ("scan",):
        return f"the result for the scanned {head or 'code'} is shown"
    if base in ("log", "login", "sign"):
        return "they land on their dashboard, signed in"
    if base in ("compare",):
        return f"the {english.plural(head) if head else 'items'} are shown side by side"
    if base in ("approve", "reject", "confirm", "assign", "mark", "flag", "tag", "pin", "lock",
                "unlock", "merge", "move", "duplicate", "copy", "transfer", "refund"):
        return (f"{obj} {_agree(obj, 'shows', 'show')} as {english.participle(base)} "
                f"and a confirmation message is shown")
    return f"a confirmation message says {obj} {_agree(obj, 'was', 'were')} " \
           f"{english.participle(base)}"


def edge_case(action: Action, who: str) -> tuple[str, str, str] | None:
    """(given, when, then) of the case a careful PM checks for this kind of action."""
    base, obj = action.base, they(action.obj) or "it"
    does = f"{who} " + " ".join(english.third_person(word) if word == base else word
                                for word in action.verb.split())
    head = english.plural(action.head.lower()) if action.head else "items"
    if base in ("export", "download") and action.file_format:
        if action.file_format.lower() in ("csv", "excel", "xlsx", "spreadsheet"):
            return (f"{definite(obj)} has nothing in it yet", f"{does} it as {action.file_format}",
                    f"the {action.file_format} file holds only the column headings")
        return (f"there are no {head} to download yet", f"{does} them as {action.file_format}",
                "a message says there is nothing to download and no file is created")
    if base in ("import", "upload"):
        return ("a file in a format the app does not accept", f"{does} it",
                "an error message names the accepted formats and nothing is saved")
    if base == "invite":
        return ("an email address that already belongs to a member", f"{who} invites it",
                "a message says the person is already a member and no invitation is sent")
    if base in ("search", "filter", "find"):
        return (f"no {head} that match", f"{does} {obj}".strip(),
                "a message says nothing matches and offers to clear the search")
    if base == "scan":
        return (f"a {action.head or 'code'} the system does not know", f"{who} scans it",
                "an error message says the code was not recognized and the previous screen "
                "stays")
    if base in ("pay", "buy", "purchase", "checkout"):
        what = f"{they(action.obj)} " if action.obj else ""
        return ("a payment the bank declines", f"{does} {what}{they(action.rest)}".strip(),
                "a message says the payment was declined and no order is created")
    if base in ("see", "view", "track", "check", "show", "display", "review"):
        return ("nothing to show yet", f"{who} opens the screen",
                "a message says there is nothing to show yet instead of an empty page")
    if base == "reset" and "password" in obj:
        return ("an email address that has no account", "someone asks for a reset link for it",
                "the page shows the same message as for a known address and no email is sent")
    if base in ("change", "update") and "password" in obj:
        return (f"{who} typing a new password shorter than the minimum length",
                "they save it", "an error message names the rule and the old password still "
                "signs them in")
    if base in ("edit", "change", "update", "rename", "set", "choose", "reset", "customise",
                "customize"):
        return ("a value the form does not accept", f"{does} {obj} with it",
                "an error message names the field to fix and the old value is kept")
    if base in ("delete", "remove", "archive", "cancel"):
        return (f"{who} who asked to {base} {obj}", "they cancel the confirmation dialog",
                f"{definite(english.noun_phrase(obj) or obj)} is still listed")
    if base in ("send", "notify", "remind", "email", "message", "post", "get", "receive"):
        return ("a recipient who turned these messages off", "the next message is due",
                "nothing is sent to that recipient")
    if base in ("book", "schedule", "reserve", "move", "reschedule"):
        return ("a time slot that is already taken", f"{does} it",
                "a message says the slot is taken and offers the next free one")
    if base in ("approve", "reject"):
        return (f"a request another {who.split(' ', 1)[1]} has already answered",
                f"{does} it", "a message says it was already answered and nothing changes")
    into = re.match(r"^(?:to|in|into)\s+(?P<where>(?:a|an|the|my|their)\s+[\w-]+)", action.rest)
    if base in ("save", "add", "pin", "bookmark") and into:
        where = re.sub(r"^(?:a|an|my)\b", "the", into.group("where"))
        return (f"{english.one_of(obj)} already in {where}", f"{does} it again",
                f"{where} still lists it once")
    if base == "reset" and "password" in obj:
        return ("an email address that has no account", "someone asks for a reset link for it",
                "the page shows the same message as for a known address and no email is sent")
    if base in ("change", "update") and "password" in obj:
        return (f"{who} typing a new password shorter than the minimum length",
                "they save it", "an error message names the rule and the old password still "
                "signs them in")
    if base in ("add", "create", "save", "submit", "register", "request"):
        return ("a required field left empty", f"{does} {obj}".strip(),
                "an error message names the missing field and nothing is saved")
    return None


# Why people ask for things, by topic: used only when the description gives no reason.
_BENEFITS = (
    (r"\b(?:dark mode|dark theme|night mode|contrast)\b",
     "the screen is comfortable to read in low light"),
    (r"\b(?:two-factor|2fa|mfa|multi-factor|passkey|password|security)\b",
     "nobody else can get into my account with a stolen password"),
    (r"\b(?:tour|onboarding|walkthrough|tutorial)\b",
     "I learn the main features without reading the documentation"),
    (r"\b(?:pagination|paging)\b", "long lists open without loading every item at once"),
    (r"\b(?:search)\b", "I find what I need without scrolling through everything"),
    (r"\b(?:notif|alert|remind)\w*", "I hear about changes without checking the app"),
    (r"\b(?:deploy\w*|build fails|pipeline)\b",
     "the team hears about a failed deployment without watching the pipeline"),
    (r"\b(?:renew\w*|subscription|billing)\b", "the next charge does not surprise me"),
    (r"\b(?:bulk|in one go|at once)\b", "I do not have to change items one at a time"),
    (r"\b(?:approve|reject)\b", "requests get an answer even when I am away from my desk"),
)
_VERB_BENEFITS = {
    "export": "I can work with {obj} in other tools",
    "download": "I can keep {obj} offline",
    "import": "I do not have to type {obj} in by hand",
    "upload": "I do not have to send {obj} by email",
    "invite": "new people can join without asking support",
    "filter": "I find the {heads} I need without scrolling through all of them",
    "search": "I find the {heads} I need without scrolling through all of them",
    "sort": "the {heads} I care about come first",
    "see": "I know where things stand without asking anyone",
    "view": "I know where things stand without asking anyone",
    "track": "I know where things stand without asking anyone",
    "edit": "I can fix mistakes myself instead of asking support",
    "change": "I can fix mistakes myself instead of asking support",
    "update": "I can fix mistakes myself instead of asking support",
    "delete": "I keep only the {heads} I still need",
    "remove": "I keep only the {heads} I still need",
    "archive": "I keep only the {heads} I still need",
    "pay": "I can finish my purchase with the payment method I already use",
    "share": "others see the same {head} without me copying it",
    "send": "I know what is happening without checking the app",
    "notify": "the people involved hear about it without checking the app",
    "remind": "nothing slips through because I forgot",
    "schedule": "I can plan ahead without calling anyone",
    "book": "I can plan ahead without calling anyone",
    "save": "I can pick up where I left off",
    "compare": "I can decide without switching between pages",
    "print": "I have a paper copy for people who work offline",
    "scan": "I do not have to type codes in by hand",
    "change password": "I can keep my account safe on my own",
}


def benefit(goal: str, action: Action | None) -> str:
    """A plausible reason for `goal` in the asker's voice; used when none was given."""
    for pattern, reason in _BENEFITS:
        if re.search(pattern, goal, re.IGNORECASE):
            return reason
    if action:
        key = f"{action.base} {action.head}".lower()
        template = _VERB_BENEFITS.get(key) or _VERB_BENEFITS.get(action.base)
        if template:
            head = action.head or "item"
            return template.format(obj=they(action.obj) or "the data",
                                   heads=english.plural(head.lower()), head=head.lower())
    return "I can do it on my own instead of asking the support team"
