"""Visible template text that is not marked for translation.

`makemessages` only extracts what is marked, so it cannot see a sentence someone forgot to
wrap. This reads each template with Django's own lexer, blanks out what is translated
(`{% translate %}`, `{% blocktranslate %}…{% endblocktranslate %}`), comments, scripts and
styles, replaces every other tag and variable with a placeholder, and reports any text node or
visible attribute (placeholder, title, alt, aria-label, a button's value…) that still holds a
letter.

    python -m tests.i18n_scan [templates/billing ...]   # lists what is unmarked
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# Names that read the same in every language: a text made only of these needs no catalogue.
UNTRANSLATED_WORDS = {
    "MyBA", "GitHub", "GitLab", "Jira", "Slack", "Stripe", "Zapier", "Make", "OpenRouter",
    "API", "CSV", "JSON", "PDF", "Markdown", "TOTP", "ADF", "JQL", "URL", "ID", "OK",
    "Prometheus", "Atlassian", "Google", "Celery", "Redis", "PostgreSQL", "HTTP", "HTTPS",
    "POST", "GET", "MFA", "SSO", "JavaScript", "htmx", "p50", "p95", "p99", "MRR", "px",
    "English", "Español", "Français", "Deutsch", "العربية",
}
VISIBLE_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label", "aria-description",
                      "aria-roledescription", "aria-valuetext", "label", "summary"}
PLACEHOLDER = " "
# Not prose: scripts, styles, and code samples (a curl command reads the same everywhere).
HIDDEN = {"script", "style", "code", "pre", "kbd", "samp"}
LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
WORD = re.compile(r"[^\W\d_][\w.\-']*", re.UNICODE)
BLOCK_START = re.compile(r"^(blocktranslate|blocktrans)\b")
BLOCK_END = re.compile(r"^(endblocktranslate|endblocktrans)\b")
# Text that ends inside an element's name: "<", "</", "<h".
TAG_NAME_END = re.compile(r"</?[a-zA-Z]*$")


def _visible(text: str) -> str | None:
    """The text a reader would see that has words needing translation, or None."""
    text = text.strip()
    if not LETTER.search(text):
        return None
    words = WORD.findall(text)
    if words and all(word.strip(".-'") in UNTRANSLATED_WORDS for word in words):
        return None
    return " ".join(text.split())


class _TextNodes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self._hidden += 1
        attrs = dict(attrs)
        for name, value in attrs.items():
            shown = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input"
                and (attrs.get("type") or "").lower() in ("submit", "button", "reset"))
            if shown and value and (text := _visible(value)):
                self.found.append(f'{name}="{text}"')

    def handle_endtag(self, tag):
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and (text := _visible(data)):
            self.found.append(text)


def skeleton(source: str) -> str:
    """The template with translated text removed and every other tag a placeholder (or, where
    a tag builds an element's name, `<h{{ level }}>` or `<{% if %}a{% else %}button{% endif %}`,
    a letter or nothing, so that the element still reads as one)."""
    parts: list[str] = []
    translating = commenting = False
    for token in Lexer(source).tokenize():
        contents = token.contents.strip()
        in_name = bool(parts) and TAG_NAME_END.search(parts[-1]) is not None
        if in_name and token.token_type in (TokenType.BLOCK, TokenType.VAR) and not (
                translating or commenting):
            branch = contents.split()[0] in ("else", "elif") if contents else False
            parts.append("x" if token.token_type == TokenType.VAR else " " if branch else "")
            continue
        if token.token_type == TokenType.BLOCK:
            if BLOCK_START.match(contents):
                translating = True
            elif BLOCK_END.match(contents):
                translating = False
            elif contents == "comment":
                commenting = True
            elif contents == "endcomment":
                commenting = False
            parts.append(PLACEHOLDER)
        elif token.token_type == TokenType.TEXT and not (translating or commenting):
            parts.append(token.contents)
        elif token.token_type == TokenType.VAR:
            parts.append(PLACEHOLDER)
    return "".join(parts)


def unmarked_text(path: Path) -> list[str]:
    """Every piece of visible text in the template at `path` that is not translated."""
    source = skeleton(path.read_text())
    if path.suffix == ".txt":
        return [text for line in source.splitlines() if (text := _visible(line))]
    parser = _TextNodes()
    parser.feed(source)
    parser.close()
    return parser.found


def templates(*roots: Path) -> list[Path]:
    return sorted(
        path for root in (roots or (TEMPLATES_DIR,))
        for path in ([root] if root.is_file() else root.rglob("*"))
        if path.suffix in (".html", ".txt")
    )


def main(argv: list[str]) -> int:
    import django

    django.setup()
    problems = 0
    for path in templates(*(Path(arg).resolve() for arg in argv)):
        for text in unmarked_text(path):
            problems += 1
            print(f"{path.relative_to(TEMPLATES_DIR.parent)}: {text}")
    print(f"{problems} unmarked", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
