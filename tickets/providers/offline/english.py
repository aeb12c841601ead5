"""Word-level English for the offline generator: verb forms, plurals, articles, capitals.

The generator rewrites the user's words (an infinitive into a gerund, "team admins" into "a
team admin"), so it needs a little grammar. A lexicon of the verbs tickets use stands in for a
part-of-speech tagger: the generator runs with no model and no downloaded data.
"""

import re


def word_set(text: str) -> frozenset[str]:
    """The words of a list written as text (one place to read and extend it)."""
    return frozenset(text.split())


# Verbs that open a request or a step in software tickets, in their base form.
VERBS = word_set("""
accept access activate add adjust allow analyse analyze answer apply approve archive ask
assign attach audit authenticate automate backfill ban block book bookmark browse build bump
buy cache calculate call cancel capture change charge chat check choose claim clean clear
click clone close collapse collect combine comment compare complete compress configure confirm
connect consolidate contact containerize convert copy correct create customise customize
deactivate debug decouple define delete deliver deploy deprecate describe detect disable
dismiss display document download drag draft drop duplicate edit email embed enable encrypt
enforce enter estimate expand explain export expose extend fetch fill filter find finish fix
flag follow forward generate get give go group handle hide highlight host import improve
increase index install integrate invite join keep label launch let limit link list load
localise localize lock log login logout make manage map mark measure mention merge message
migrate monitor move mute navigate notify offer open optimise optimize order organise organize
paginate parse pass patch pause pay pick pin place plan play post prefill preview print
prioritise prioritize process profile protect provide provision publish purchase push query
rank rate reach read receive recommend reconcile record redeem redirect reduce refactor
refresh refund register reject release reload remember remind remove rename render renew
reorder repair replace reply report request require reschedule resend reserve reset resize
resolve restore restrict resume retire retry return reuse review revoke rewrite rotate run
save scale scan rehearse schedule scroll search secure see select sell send separate set share
ship show sign simplify skip snooze sort speed split standardise standardize start stop store
stream submit subscribe suggest support swap switch sync tag take tap test throttle tidy time
toggle come leave reopen exit wait
track transfer translate trigger trim turn type undo unify uninstall unlock unpublish
unsubscribe update upgrade upload use validate verify view visit vote watch withdraw write
zoom
""")

# Verbs that are also common nouns: read as a verb only where a verb is expected.
NOUN_VERBS = word_set("""
bookmark cache call chat check comment copy email export filter import index label list log
map mark message order pin plan post print profile rank rate record refund release reply
report request review scan schedule search set share sign sort store support tag test track
transfer type update upgrade upload use vote watch
""")

_IRREGULAR_PARTICIPLES = {
    "be": "been", "build": "built", "buy": "bought", "choose": "chosen", "cut": "cut",
    "do": "done", "find": "found", "get": "got", "give": "given", "go": "gone",
    "hide": "hidden", "hold": "held", "keep": "kept", "let": "let", "lose": "lost",
    "make": "made", "pay": "paid", "put": "put", "read": "read", "reset": "reset",
    "upset": "upset", "forget": "forgotten", "begin": "begun", "shut": "shut", "hit": "hit",
    "feel": "felt", "tell": "told", "rewrite": "rewritten", "run": "run", "see": "seen",
    "sell": "sold", "send": "sent", "set": "set", "show": "shown", "spend": "spent",
    "split": "split", "take": "taken", "undo": "undone", "write": "written", "resend": "resent",
}
# One-syllable-stressed verbs that double their last consonant: stop -> stopped, stopping.
_DOUBLING = word_set("""
ban chat drag drop flag get log map pin plan put run scan set ship shop skip stop submit swap
tag tap trim upset zip admit commit permit refer prefer occur forget begin cut
""")

_IRREGULAR_PLURALS = {
    "person": "people", "child": "children", "man": "men", "woman": "women", "staff": "staff",
    "data": "data", "media": "media", "analytics": "analytics", "news": "news",
    "finance": "finance", "sales": "sales", "support": "support", "security": "security",
    "salesperson": "salespeople", "hr": "hr",
}
_IRREGULAR_SINGULARS = {plural: singular for singular, plural in _IRREGULAR_PLURALS.items()}
# Words ending in "s" that are not plurals.
_NOT_PLURAL = word_set("""
address alias analysis access bus business canvas class campus status basis process progress
success loss boss news series always across this its his was is has does yes less gas lens
settings analytics kubernetes redis postgres ios macos windows os sms dns aws https css
""")

# Lower-case words that take "a" although they start with a vowel, and the reverse.
_A_BEFORE_VOWEL = ("user", "use", "unique", "uni", "one", "euro", "usb", "url", "utility", "ubuntu",
                   "uk", "us-")
_AN_BEFORE_CONSONANT = ("hour", "honest", "honour", "honor", "heir")
_LETTER_NAMES_WITH_VOWEL_SOUND = set("aefhilmnorsx")


def article(phrase: str) -> str:
    """"a" or "an" for the phrase that follows it."""
    word = phrase.split()[0] if phrase.split() else ""
    lower = word.lower()
    if len(word) > 1 and word.isupper() and len(word) <= 5:
        # An abbreviation read letter by letter: "an SMS", "an HR manager", "a CSV file".
        if word in ("CSV", "PDF", "JSON", "URL", "UI", "UX", "USB", "QR", "GIF", "PNG", "JPEG"):
            return "an" if lower[0] in _LETTER_NAMES_WITH_VOWEL_SOUND - {"u"} else "a"
        return "an" if lower[0] in _LETTER_NAMES_WITH_VOWEL_SOUND else "a"
    if lower.startswith(_A_BEFORE_VOWEL):
        return "a"
    if lower.startswith(_AN_BEFORE_CONSONANT):
        return "an"
    return "an" if lower[:1] in ("a", "e", "i", "o", "u") else "a"


# Names that keep their capital inside a sentence.
PROPER_NAMES = word_set("""
Android Chrome Safari Firefox Edge Windows Linux Ubuntu Slack Stripe Zendesk Google Apple
Microsoft GitHub Jira Playwright Amazon Docker PostgreSQL Postgres Python Django Chinese
Japanese Korean English German French Spanish Italian Portuguese Dutch Arabic Hebrew Russian
""")


def with_article(phrase: str) -> str:
    return f"{article(phrase)} {phrase}"


def is_plural(word: str) -> bool:
    lower = word.lower()
    if lower in _IRREGULAR_SINGULARS and lower not in _IRREGULAR_PLURALS:
        return True
    return (len(lower) > 3 and lower.endswith("s") and not lower.endswith(("ss", "us", "is"))
            and lower not in _NOT_PLURAL)


def singular(word: str) -> str:
    """"admins" -> "admin", "companies" -> "company", "people" -> "person"."""
    lower = word.lower()
    if lower in _IRREGULAR_SINGULARS:
        return _keep_case(word, _IRREGULAR_SINGULARS[lower])
    if not is_plural(word):
        return word
    if lower.endswith("ies") and len(lower) > 4:
        return word[:-3] + "y"
    if lower.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    return word[:-1]


def plural(word: str) -> str:
    """"admin" -> "admins", "company" -> "companies", "person" -> "people"."""
    lower = word.lower()
    if lower in _IRREGULAR_PLURALS:
        return _keep_case(word, _IRREGULAR_PLURALS[lower])
    if is_plural(word):
        return word
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "o", "u"):
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "ch", "sh", "z")):
        return word + "es"
    return word + "s"


def _keep_case(original: str, replacement: str) -> str:
    return replacement.capitalize() if original[:1].isupper() else replacement


def singular_phrase(phrase: str) -> str:
    """The phrase with its last word singular: "team admins" -> "team admin"."""
    *head, last = phrase.split()
    return " ".join([*head, singular(last)])


def plural_phrase(phrase: str) -> str:
    *head, last = phrase.split()
    return " ".join([*head, plural(last)])


# Words after a noun that qualify it: "pictures larger than 2MB", "orders from last week".
QUALIFIERS = word_set("""
larger bigger smaller longer shorter older newer more less over under than with without from
that which who of in on for at by like to into via as per between after before during when
""")


def one_of(phrase: str) -> str:
    """"profile pictures larger than 2MB" -> "a profile picture larger than 2MB": one case of a
    bare plural, as a tester performs it; other phrases are returned as they are."""
    tokens = phrase.split()
    if not tokens or tokens[0].lower() in ("the", "a", "an", "my", "their", "our", "all",
                                           "some", "any", "every", "each", "this", "these"):
        return phrase
    end = next((i for i, word in enumerate(tokens) if word.lower() in QUALIFIERS), len(tokens))
    if end == 0 or end > 3 or not is_plural(tokens[end - 1]) or tokens[0][:1].isupper():
        return phrase
    noun = " ".join([*tokens[: end - 1], singular(tokens[end - 1])])
    return " ".join([with_article(noun), *tokens[end:]])


def one_of_phrase(phrase: str) -> str:
    """"upload profile pictures larger than 2MB" -> "upload a profile picture larger than 2MB"."""
    verb, _, rest = phrase.partition(" ")
    if verb.lower() not in VERBS or not rest:
        return phrase
    return f"{verb} {one_of(rest)}"


def noun_phrase(phrase: str) -> str:
    """The noun phrase before its qualifiers: "a profile picture larger than 2MB" -> "a profile
    picture"; "all receipts of a month" -> "all receipts"."""
    tokens = phrase.split()
    end = next((i for i, word in enumerate(tokens) if i and word.lower() in QUALIFIERS),
               len(tokens))
    return " ".join(tokens[:end])


def head_noun(phrase: str) -> str:
    """The noun a phrase is about: "the monthly invoice list as CSV" -> "list"."""
    tokens = [re.sub(r"[^\w-]", "", word) for word in phrase.split()]
    end = next((i for i, word in enumerate(tokens) if i and word.lower() in QUALIFIERS),
               len(tokens))
    nouns = [word for word in tokens[:end] if word]
    return nouns[-1] if nouns else ""


def participle(verb: str) -> str:
    """The past participle: "export" -> "exported", "choose" -> "chosen", "stop" -> "stopped"."""
    lower = verb.lower()
    if lower in _IRREGULAR_PARTICIPLES:
        return _IRREGULAR_PARTICIPLES[lower]
    if lower in _DOUBLING:
        return verb + verb[-1] + "ed"
    if lower.endswith("e"):
        return verb + "d"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "o", "u"):
        return verb[:-1] + "ied"
    return verb + "ed"


def gerund(verb: str) -> str:
    """"upload" -> "uploading", "make" -> "making", "scan" -> "scanning", "see" -> "seeing"."""
    lower = verb.lower()
    if lower in _DOUBLING:
        return verb + verb[-1] + "ing"
    if lower.endswith("ie"):
        return verb[:-2] + "ying"
    if lower.endswith("e") and not lower.endswith(("ee", "ye", "oe")) and len(lower) > 2:
        return verb[:-1] + "ing"
    return verb + "ing"


def third_person(verb: str) -> str:
    """"export" -> "exports", "fix" -> "fixes", "apply" -> "applies", "go" -> "goes"."""
    lower = verb.lower()
    if lower in ("be", "have", "do", "go"):
        return {"be": "is", "have": "has", "do": "does", "go": "goes"}[lower]
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "o", "u"):
        return verb[:-1] + "ies"
    if lower.endswith(("s", "x", "ch", "sh", "z")):
        return verb + "es"
    return verb + "s"


def first_verb(phrase: str) -> str:
    return phrase.split()[0].lower() if phrase.split() else ""


# Words that may come before the verb of an action: "bulk edit prices", "also send".
_BEFORE_VERB = word_set("""
bulk batch quickly easily automatically also manually directly securely instantly still just
re
""")


def starts_with_verb(phrase: str) -> bool:
    """True for "export the list", "bulk edit prices"; False for "search" or "dark mode"."""
    tokens = [token.strip(",;:") for token in phrase.split()]
    while len(tokens) > 1 and tokens[0].lower() in _BEFORE_VERB:
        tokens = tokens[1:]
    if not tokens:
        return False
    first = tokens[0].lower().split("-")[-1]
    if len(phrase.split()) == 1 and first in NOUN_VERBS:
        return False  # a lone "search" or "export" names a feature
    return first in VERBS


def verb_phrase_gerund(phrase: str) -> str:
    """"upload a picture" -> "uploading a picture": the phrase as a thing one does; "switch
    to another app and come back" -> "switching … and coming back"."""
    words = phrase.split()
    if not words:
        return phrase
    out = [gerund(words[0])]
    for index, word in enumerate(words[1:], start=1):
        after_and = words[index - 1].lower() == "and" and word.lower() in VERBS - NOUN_VERBS
        out.append(gerund(word) if after_and else word)
    return " ".join(out)


def capitalize(text: str) -> str:
    """Upper-case the first letter only ("iOS" and "macOS" keep their spelling)."""
    if not text:
        return text
    first = text.split()[0]
    if re.match(r"^[a-z]+[A-Z]", first):  # iOS, macOS, iPhone, eBay
        return text
    return text[0].upper() + text[1:]


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is a name or an abbreviation."""
    if not text:
        return text
    first = text.split()[0]
    if first in ("I",) or first.startswith("I'") or first in PROPER_NAMES:
        return text
    if len(first) > 1 and (first[1:].lower() != first[1:] or first.isupper()):
        return text  # "CSV", "iOS", "PostgreSQL"
    return text[0].lower() + text[1:]


# "them" stays: in a benefit it is usually the things ("so that I can find them").
_FIRST_PERSON = {
    "they": "I", "their": "my", "theirs": "mine", "themselves": "myself", "he": "I",
    "she": "I", "his": "my", "i": "I",
}


def as_first_person(clause: str) -> str:
    """"they can file invoices" -> "I can file invoices": a benefit in the story's voice."""
    words = clause.split()
    out = []
    for word in words:
        bare = word.lower().strip(",.;:")
        if bare in _FIRST_PERSON:
            replacement = _FIRST_PERSON[bare]
            out.append(word.lower().replace(bare, replacement, 1))
        else:
            out.append(word)
    text = " ".join(out)
    # "I doesn't" / "I has": the verb followed the old third-person subject.
    return re.sub(r"\bI (doesn't|has|does|wants|needs|walks|gets|is)\b",
                  lambda m: "I " + {"doesn't": "don't", "has": "have", "does": "do",
                                    "wants": "want", "needs": "need", "walks": "walk",
                                    "gets": "get", "is": "am"}[m.group(1)], text)


def join_and(items: list[str]) -> str:
    """"a", "b", "c" -> "a, b and c"."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_][\w'’.+#-]*[^\W_]|[^\W_]", text)
