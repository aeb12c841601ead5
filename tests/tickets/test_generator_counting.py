"""One count of the description, written one way: the form's limits and messages, the counter
the page renders and the counter the script keeps up to date agree, character for character,
and all write 4,000."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.builders import funded_user, ticket_form
from tests.helpers import assert_accessible
from tickets.forms import GenerateForm

NEW = reverse("tickets:new")


def errors(description: str) -> list[str]:
    form = GenerateForm(data=ticket_form(description=description))
    form.is_valid()
    return form.errors.get("description", [])


@pytest.mark.parametrize(
    "description",
    [
        "a" * 4000,
        "a" * 4000 + "\n  \t",  # whitespace around the text is not counted (nor stored)
        ("a" * 99 + "\r\n") * 39 + "a" * 100,  # a line break is one, though sent as CRLF
        "a" * 3999 + "🎉",  # an emoji is one character
    ],
)
def test_the_limit_counts_what_the_user_sees(description):
    assert errors(description) == []


def test_too_long_says_how_long_with_the_numbers_written_like_the_counter():
    assert errors("a" * 4999 + "\r\n") == ["Keep it under 4,000 characters (you wrote 4,999)."]
    assert errors("b" * 5000) == ["Keep it under 4,000 characters (you wrote 5,000)."]
    assert errors("Too short") == [
        "Add a little more detail: at least 20 characters (you wrote 9)."
    ]


def test_the_textarea_does_not_cut_a_long_paste_off():
    html = str(GenerateForm()["description"])
    assert "maxlength" not in html and 'data-counter="description-counter"' in html


@pytest.mark.django_db
def test_the_form_shown_again_counts_like_its_error(client, offline):
    client.force_login(funded_user(5))
    text = ("x" * 99 + "\r\n") * 49 + "x" * 100 + "  "  # 5,000 as typed, 5,051 as sent
    html = client.post(NEW, ticket_form(description=text)).content.decode()
    assert "Keep it under 4,000 characters (you wrote 5,000)." in html
    assert 'data-min="20" data-max="4000" aria-live="polite">5,000 / 4,000</span>' in html


# Characters a browser and Python might count differently: an astral emoji (two UTF-16 code
# units), a line break, a non-breaking space and a tab at the end (Python strips them), a
# zero-width no-break space inside (JavaScript's trim would strip it at an edge; Python's
# strip does not, so it must be counted).
TRICKY = "\ufeffFix the 🎉 banner\non the pricing page so it shows once per visit.\u00a0\t"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_the_live_counter_and_the_server_count_the_same_characters(make_page, offline, width):
    page = make_page(width, axe=True)
    page.goto(NEW)
    textarea = page.get_by_label("What needs doing?")
    counter = page.locator("#description-counter")

    textarea.fill(TRICKY)
    expected = GenerateForm().fields["description"].counter_text(TRICKY)
    expect(counter).to_have_text(expected)
    assert expected.startswith(f"{len(TRICKY.strip())} / 4,000")

    long = ("y" * 99 + "\n") * 50  # 5,000 with the line breaks, 4,999 once the last is cut
    textarea.fill(long)
    expect(counter).to_have_text("4,999 / 4,000")
    expect(counter).to_have_class("help field-error")
    page.get_by_role("button", name="Generate · 1 token").click()
    expect(page.locator(".field-error[role=alert]")).to_have_text(
        "Keep it under 4,000 characters (you wrote 4,999)."
    )
    expect(counter).to_have_text("4,999 / 4,000")
    # The form came back through htmx, which fades it in: check contrast once it has.
    page.evaluate("""() => Promise.all(document.getAnimations()
        .filter(animation => animation instanceof CSSTransition)
        .map(animation => animation.finished))""")
    assert_accessible(page)
