"""What to check for features known by name, when the description names a thing rather than
something to do: dark mode, two-factor authentication, notifications, search, tours,
pagination, imports, single sign-on; and a plain default for any other thing.
"""

import re

from . import english


def feature_criteria(thing: str, trigger: str = "") -> list[tuple[str, str, str]]:
    """(given after the actor, when, then) for a goal that names a thing, not a deed."""
    lower = thing.lower()
    core = re.sub(r"\s+(?:for|in|on|to)\s+(?:the|our|my)\s+.+$", "", thing).strip()
    bare = re.sub(r"^(?:an?|the)\s+", "", core, flags=re.IGNORECASE)
    if re.search(r"\b(?:mode|theme)\b", lower):
        return [
            (" using the light theme", f"they turn on {bare} in the settings",
             f"every screen switches to {bare} without a page reload"),
            (f" who turned on {bare}", "they sign out and sign in again on the same device",
             f"the app still shows {bare}"),
            (" whose device is set to a dark appearance", "they open the app for the first time",
             f"the app starts in {bare}"),
        ]
    if re.search(r"\b(?:two-factor|2fa|mfa|multi-factor|totp|authenticator)", lower):
        return [
            (" with two-factor authentication turned on", "they sign in with the right password",
             "they are asked for a 6-digit code from their authenticator app before the "
             "account opens"),
            (" with two-factor authentication turned on", "they enter a wrong code",
             "an error message says the code is wrong and the account stays closed"),
            (" without two-factor authentication", "they open the security settings",
             "a button to set up two-factor authentication is shown with a QR code"),
        ]
    if re.search(r"\bimport\b", lower):
        fmt = re.search(r"\b(CSV|Excel|XLSX|JSON)\b", thing)
        kind = f"{fmt.group(1)} file" if fmt else "file"
        return [
            (f" with a valid {kind}", "they import it",
             "every row appears in the list and a message says how many were imported"),
            (f" with a {kind} that has errors in some rows", "they import it",
             "a report lists each rejected row with its line number and the valid rows are "
             "imported"),
        ]
    if re.search(r"\b(?:single sign-on|sso|saml)\b", lower):
        providers = re.findall(r"[A-Z][\w]+(?:\s[A-Z][\w]+)*(?:\s[A-Z]{2})?", thing)
        providers = [name for name in providers if name.lower() not in ("single", "sso")]
        checks = [(f" whose company uses {name}", f"they choose Sign in with {name}",
                   "they are signed in without typing a password")
                  for name in providers[:2]] or [(" whose company has single sign-on set up",
                                                  "they choose single sign-on",
                                                  "they are signed in without typing a password")]
        return [*checks, (" on a plan without single sign-on", "they open the sign-in page",
                          "no single sign-on button is shown")]
    if re.search(r"\bnotification", lower):
        return [
            (" who is signed in", "something they follow changes",
             "a notification appears in the app within a minute, naming what changed"),
            (" with unread notifications", "they open the notification list",
             "each notification links to the item it is about"),
            (" who turned notifications off in the settings", "something they follow changes",
             "no notification is sent to them"),
        ]
    if re.search(r"\bsearch\b", lower):
        return [
            (" on any page", "they search for a word from an item's name",
             "the items whose names contain that word are listed"),
            (" on any page", "they search for a word no item contains",
             "a message says nothing matches"),
        ]
    if re.search(r"\b(?:tour|onboarding|walkthrough|tutorial)\b", lower):
        return [
            (" signing in for the first time", "the dashboard opens",
             f"{core} starts at its first step"),
            (" in the middle of the tour", "they choose Skip",
             "the tour closes and does not start again at the next sign-in"),
        ]
    if re.search(r"\b(?:pagination|paging)\b", lower):
        return [
            ("", "they open a list with more items than fit on one page",
             "the list shows one page at a time with links to the next and previous pages"),
            (" on the last page", "they look at the page links", "the next-page link is hidden"),
        ]
    plural = english.is_plural(bare.split()[-1]) if bare.split() else False
    return [
        ("", f"they open {bare}", f"{core} {'are' if plural else 'is'} shown and ready to use"),
        (f" using {bare}", "the server cannot complete a request",
         "an error message says what went wrong and nothing they entered is lost"),
    ]

