"""The empty generator offers one example description per ticket kind (from the kind
registry); choosing one, by mouse or keyboard, fills the description and the ticket type."""

import pytest
from django.urls import reverse
from django.utils.html import escape
from playwright.sync_api import expect

from tests.builders import funded_user, request_ticket
from tests.helpers import assert_accessible, assert_fits_width
from tickets.forms import count_characters
from tickets.kinds import KINDS

NEW = reverse("tickets:new")


@pytest.mark.django_db
def test_every_kind_offers_its_example_on_the_empty_generator(client, offline):
    html = client.get(NEW).content.decode()
    examples = html.split("data-examples", 1)[1].split("</ul>", 1)[0]
    for kind in KINDS.values():
        assert f'data-example="{escape(kind.example)}" data-example-kind="{kind.value}"' \
            in examples
        assert 20 <= count_characters(kind.example) <= 4000  # each one is a valid description
    assert examples.count("<button") == len(KINDS)


@pytest.mark.django_db
def test_a_regeneration_starts_from_its_own_description_not_the_examples(client, offline):
    user = funded_user(5)
    client.force_login(user)
    source = request_ticket(user.token_account, owner=user)
    html = client.get(NEW, {"from": source.public_id}).content.decode()
    assert "data-examples hidden" in html


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_choosing_an_example_fills_the_form(make_page, offline, width):
    page = make_page(width, axe=True)
    page.goto(NEW)
    description = page.get_by_label("What needs doing?")
    examples = page.locator("[data-examples]")
    expect(examples).to_be_visible()
    assert_accessible(page)
    assert_fits_width(page)

    page.get_by_role("button", name="Bug example:").click()
    expect(description).to_have_value(KINDS["bug"].example)
    expect(page.get_by_role("radio", name="Bug")).to_be_checked()
    expect(description).to_be_focused()
    expect(page.locator("#description-counter")).to_have_text(
        f"{count_characters(KINDS['bug'].example)} / 4,000"
    )

    # By keyboard: the examples are buttons in the tab order; Enter chooses one.
    task = page.get_by_role("button", name="Task example:")
    task.focus()
    page.keyboard.press("Enter")
    expect(description).to_have_value(KINDS["task"].example)
    expect(page.get_by_role("radio", name="Task")).to_be_checked()

    # Writing one's own description puts the examples away; emptying it brings them back.
    description.fill("Customers want to export their invoices as a CSV file for accounting.")
    expect(examples).to_be_hidden()
    description.fill("")
    expect(examples).to_be_visible()
