"""The translations are whole: every visible template text is marked, every marked string is
in the committed catalogues, Spanish, French and German translate all of it (nothing empty or
fuzzy), Arabic the main journeys, and no translation drops a placeholder or a tag."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from tests.i18n_scan import templates, unmarked_text

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
COMPLETE = ("es", "fr", "de")
# What a new visitor and a new customer go through: the home page and the generator, ticket
# pages, signing up and in, settings, pricing and checkout, errors. Arabic covers these.
MAIN_JOURNEYS = (
    "templates/base.html", "templates/home.html", "templates/403.html", "templates/404.html",
    "templates/500.html", "templates/503.html", "templates/error_page.html",
    "templates/offline.html", "templates/partials/", "templates/tickets/", "templates/account/",
    "templates/allauth/", "templates/accounts/", "templates/billing/", "templates/mfa/",
    "templates/usersessions/", "templates/socialaccount/", "tickets/", "accounts/", "billing/",
    "config/",
)
NOT_MAIN = (
    "templates/tickets/batches/", "templates/tickets/templates/", "templates/accounts/webhooks/",
    "templates/accounts/usage/", "tickets/batches/", "tickets/ticket_templates/",
    "accounts/teams/", "accounts/webhooks/", "accounts/usage/",
)
# What makemessages does not read: the catalogues themselves, tests, benchmarks, local state.
SKIPPED = {"locale", "tests", "bench", ".venv", ".data", ".git", "node_modules", "backups"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{\s*\w+\s*\}\}")
TAG = re.compile(r"</?(a|abbr|b|br|code|em|i|kbd|li|mark|ol|p|small|span|strong|sub|sup|time|ul)\b")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))


def live_entries(language: str) -> list[polib.POEntry]:
    return [entry for entry in catalogue(language) if not entry.obsolete]


def translated(entry: polib.POEntry) -> bool:
    if "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def in_main_journeys(entry: polib.POEntry) -> bool:
    return any(path.startswith(MAIN_JOURNEYS) and not path.startswith(NOT_MAIN)
               for path, _ in entry.occurrences)


def test_every_visible_template_text_is_marked_for_translation():
    unmarked = [f"{path.relative_to(settings.BASE_DIR)}: {text}"
                for path in templates() for text in unmarked_text(path)]
    assert unmarked == [], f"{len(unmarked)} unmarked:\n" + "\n".join(unmarked[:40])


def test_the_scanner_finds_unmarked_text_and_passes_marked_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<h1>{% translate "Pricing" %}</h1>'
        '<p>{% blocktranslate trimmed %}Buy {{ n }} tokens{% endblocktranslate %}</p>'
        '<input type="submit" value="Send">  <img alt="{{ name }}"> <span>MyBA · GitHub</span>'
        '<p>{{ count }} tickets left</p><script>var s = "not text";</script>'
        '{% comment %}A note for developers{% endcomment %}')
    assert unmarked_text(page) == ['value="Send"', "tickets left"]


@pytest.mark.parametrize("language", COMPLETE)
def test_spanish_french_and_german_translate_everything(language):
    entries = live_entries(language)
    assert len(entries) > 500
    missing = [entry.msgid[:70] for entry in entries if not translated(entry)]
    assert missing == [], f"{language}: {len(missing)} untranslated or fuzzy: {missing[:20]}"


def test_arabic_translates_the_main_journeys():
    entries = [entry for entry in live_entries("ar") if in_main_journeys(entry)]
    assert len(entries) > 300
    missing = [entry.msgid[:70] for entry in entries if not translated(entry)]
    assert missing == [], f"ar: {len(missing)} untranslated or fuzzy: {missing[:20]}"


@pytest.mark.parametrize("language", (*COMPLETE, "ar"))
def test_translations_keep_placeholders_and_tags_and_are_not_english_copies(language):
    problems, copies, entries = [], 0, [e for e in live_entries(language) if translated(e)]
    for entry in entries:
        sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        targets = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        wanted = set(PLACEHOLDER.findall(" ".join(sources)))
        tags = sorted(TAG.findall(entry.msgid))
        for target in targets:
            # A plural form may leave the number out ("un token"), never invent a name.
            if not set(PLACEHOLDER.findall(target)) <= wanted or sorted(
                    TAG.findall(target)) != tags:
                problems.append(f"{entry.msgid[:60]!r} -> {target[:60]!r}")
        copies += entry.msgstr == entry.msgid and len(entry.msgid) > 12
    assert problems == []
    # Names and technical words stay as they are; sentences never do.
    assert copies <= len(entries) * 0.03, f"{language}: {copies} entries copy the English"


def test_the_catalogues_hold_every_marked_string(tmp_path, settings, monkeypatch):
    """`makemessages` run now finds no string the committed catalogues lack: a string marked
    after the catalogues were last updated would show in English. It runs on links to the
    sources, so that it writes into a directory of its own, not the committed catalogues."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for child in Path(settings.BASE_DIR).iterdir():
        if child.name not in SKIPPED and (child.is_dir() or child.suffix == ".py"):
            (sources / child.name).symlink_to(child)
    monkeypatch.chdir(sources)
    settings.LOCALE_PATHS = [sources / "locale"]
    call_command("makemessages", locale=["es"], symlinks=True, verbosity=0)
    fresh = polib.pofile(str(sources / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    committed = {(entry.msgctxt, entry.msgid) for entry in live_entries("es")}
    missing = [entry.msgid[:70] for entry in fresh
               if (entry.msgctxt, entry.msgid) not in committed]
    assert len(fresh) > 500
    assert missing == [], f"run makemessages: {len(missing)} new strings: {missing[:20]}"
