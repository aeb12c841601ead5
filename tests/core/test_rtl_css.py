"""Arabic is read right to left: the stylesheets use logical sides (margin-inline-start,
inset-inline-end, text-align: start, border-start-end-radius…) so the whole layout mirrors
under <html dir="rtl">. A physical left/right may stay only where it is meant, with the reason
in a `physical-ok:` comment on its line or just above it, or inside a rule that targets one
direction on purpose (`[dir="rtl"] …`). This test keeps physical sides from coming back.

It also keeps the reduced-motion rules: people who ask their system for less motion get no
animations or transitions (a spinner still turns, slowly, as it carries information).
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

CSS_DIR = Path(settings.BASE_DIR) / "static" / "css"
STYLESHEETS = ["app.css", "ticket-templates.css"]
MARKER = "physical-ok"

SIDE_PROPERTY = re.compile(
    r"^(?:(?:margin|padding|border|scroll-margin|scroll-padding)-(?:left|right)(?:-[a-z]+)*"
    r"|left|right|border-(?:top|bottom)-(?:left|right)-radius)$"
)
SIDE_VALUE_PROPERTIES = {"text-align", "float", "clear", "resize", "caption-side"}
SIDE_WORD_PROPERTIES = {"background", "background-position", "background-position-x",
                        "mask", "mask-position", "transform-origin"}
FOUR_SIDE_SHORTHANDS = {"margin", "padding", "border-width", "border-style", "border-color",
                        "inset", "scroll-margin", "scroll-padding"}
SIDE_WORD = re.compile(r"\b(?:left|right)\b")
DIRECTIONAL_SELECTOR = re.compile(r"""\[dir=["']?(?:rtl|ltr)["']?\]|:dir\((?:rtl|ltr)\)""")


def _values(text: str) -> list[str]:
    """Whitespace-separated values at parenthesis depth 0 ("var(--a, 8px)" is one value)."""
    values, depth, current = [], 0, ""
    for char in text.replace("!important", ""):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char.isspace() and depth == 0:
            if current:
                values.append(current)
            current = ""
        else:
            current += char
    if current:
        values.append(current)
    return values


def _mirror_asymmetric(prop: str, value: str) -> bool:
    """A shorthand whose left and right (or mirrored corners) differ names a physical side."""
    if prop == "border-radius":
        corners = _values(value.split("/")[0])
        if len(corners) == 2:
            return corners[0] != corners[1]
        if len(corners) == 3:
            return not corners[0] == corners[1] == corners[2]
        if len(corners) == 4:
            return corners[0] != corners[1] or corners[2] != corners[3]
        return False
    if prop in FOUR_SIDE_SHORTHANDS:
        sides = _values(value)
        return len(sides) == 4 and sides[1] != sides[3]
    return False


def is_physical(prop: str, value: str) -> bool:
    prop = prop.strip().lower()
    value = value.strip().lower()
    if SIDE_PROPERTY.match(prop):
        return True
    if prop in SIDE_VALUE_PROPERTIES and SIDE_WORD.search(value):
        return True
    if prop in SIDE_WORD_PROPERTIES and SIDE_WORD.search(value):
        return True
    if prop in {"transform", "translate"} and ("translatex(" in value or prop == "translate"):
        return True
    return _mirror_asymmetric(prop, value)


def physical_declarations(css: str) -> list[tuple[int, str]]:
    """(line, declaration) for each physical left/right not allowed by a marker or a
    direction-specific selector."""
    # Blank out comments (positions kept), remembering where the marked ones end.
    marked_ends = []
    plain = list(css)
    for match in re.finditer(r"/\*.*?\*/", css, flags=re.S):
        if MARKER in match.group():
            marked_ends.append(match.end())
        plain[match.start():match.end()] = " " * (match.end() - match.start())
    text = "".join(plain)

    found = []
    # A declaration block: the selector before "{", declarations up to "}" (at-rules nest,
    # so the innermost selector is what counts).
    for block in re.finditer(r"([^{}]*)\{([^{}]*)\}", text):
        selector = block.group(1)
        if DIRECTIONAL_SELECTOR.search(selector):
            continue
        body_start = block.start(2)
        for decl in re.finditer(r"([-a-zA-Z]+)\s*:([^;]*)(?:;|$)", block.group(2)):
            prop, value = decl.group(1), decl.group(2)
            if not is_physical(prop, value):
                continue
            start = body_start + decl.start()
            line_start = css.rfind("\n", 0, start) + 1
            line_end = css.find("\n", start)
            line = css[line_start:line_end if line_end != -1 else None]
            just_above = any(text[end:start].strip() == "" for end in marked_ends if end <= start)
            if MARKER in line or just_above:
                continue
            found.append((css.count("\n", 0, start) + 1, f"{prop.strip()}:{value.strip()}"))
    return found


@pytest.mark.parametrize("name", STYLESHEETS)
def test_stylesheet_uses_logical_sides_only(name):
    css = (CSS_DIR / name).read_text(encoding="utf-8")

    offenders = physical_declarations(css)

    assert offenders == [], (
        f"static/css/{name} uses physical left/right where RTL needs logical sides "
        f"(or mark it `/* {MARKER}: why */`): {offenders}"
    )


def test_the_checker_catches_physical_sides():
    css = """
    .a { margin-left: 1rem; padding-right: 2px; border-left: 1px solid; }
    .b { position: absolute; right: 0; left: auto; text-align: left; float: right; }
    .c { padding: 1px 2px 1px 4px; border-radius: 0 4px 4px 0; transform: translateX(1rem); }
    .d { border-top-left-radius: 2px; background-position: right 1rem center; }
    .ok { margin-inline-start: 1rem; text-align: start; inset-inline-end: 0; padding: 1px 2px; }
    .ok2 { border-radius: 0 0 4px 4px; margin: 0 auto 1rem; float: inline-start; }
    .allowed {
      /* physical-ok: the reason */
      left: 0;
    }
    .allowed2 { right: 0; /* physical-ok: the reason */ }
    [dir="rtl"] .mirror { background-position: left 1rem center; }
    """

    offenders = [decl.split(":")[0] for _, decl in physical_declarations(css)]

    assert offenders == [
        "margin-left", "padding-right", "border-left",
        "right", "left", "text-align", "float",
        "padding", "border-radius", "transform",
        "border-top-left-radius", "background-position",
    ]


def test_rtl_mirrors_direction_icons_and_the_select_chevron():
    css = (CSS_DIR / "app.css").read_text(encoding="utf-8")

    assert re.search(r'\[dir="rtl"\] \.icon-arrow\s*\{\s*transform: scaleX\(-1\);', css)
    assert re.search(r'\[dir="rtl"\] select\s*\{[^}]*background-position: left', css)


def test_reduced_motion_turns_animations_and_transitions_off():
    css = (CSS_DIR / "app.css").read_text(encoding="utf-8")
    block = re.search(
        r"@media \(prefers-reduced-motion: reduce\) \{\s*\*,\s*\*::before,\s*\*::after \{"
        r"(?P<all>[^}]*)\}(?P<rest>.*?)\n\}", css, flags=re.S)

    assert block, "app.css has no reduced-motion rule for every element"
    for declaration in ("animation-duration: 0.01ms !important",
                        "animation-iteration-count: 1 !important",
                        "transition-duration: 0.01ms !important",
                        "scroll-behavior: auto !important"):
        assert declaration in block.group("all")
    # The spinner still shows that work is in progress, turning slowly.
    assert re.search(r"\.spinner \{[^}]*animation-iteration-count: infinite", block.group("rest"))
    # Everything that moves is in the stylesheets the rule covers (no inline styles: CSP).
    for name in STYLESHEETS:
        text = (CSS_DIR / name).read_text(encoding="utf-8")
        if re.search(r"\b(?:animation|transition)\s*:", text):
            assert name == "app.css" or "prefers-reduced-motion" in text, name
