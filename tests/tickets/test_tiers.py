"""Each tier's price and purpose on the generator and the pricing page (issue 16): prices from
the price table, purposes from tickets/tiers.py, a tier without an active price not offered;
both pages fit a phone and pass axe."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.builders import client_for, funded_user, set_price
from tests.helpers import check_page, sign_in_browser_as
from tickets.models import Quality
from tickets.tiers import TIER_PURPOSES

pytestmark = pytest.mark.django_db
NEW = reverse("tickets:new")
PRICING = reverse("billing:pricing")


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_both_pages_show_each_tiers_price_and_purpose(fake_openrouter, packs):
    set_price("ticket.advanced", tokens=4)
    client = client_for(funded_user(tokens=10))

    generator, pricing = (text(client.get(path).content.decode()) for path in (NEW, PRICING))

    assert "Standard · 1 token Everyday tickets, fast model." in generator
    assert "Advanced · 4 tokens Complex features and epics, stronger model." in generator
    assert "1 Standard ticket = 1 token — everyday tickets, fast model" in pricing
    assert "1 Advanced ticket = 4 tokens — complex features and epics, stronger model" in pricing


def test_a_tier_without_an_active_price_is_not_offered(fake_openrouter, packs):
    set_price("ticket.advanced", active=False)
    client = client_for(funded_user(tokens=10))

    generator = client.get(NEW).content.decode()
    pricing = client.get(PRICING).content.decode()

    assert 'value="advanced"' not in generator
    assert TIER_PURPOSES[Quality.ADVANCED] not in generator.lower()
    assert "Advanced ticket" not in pricing
    assert 'id="quality-standard" data-cost="1"' in generator
    assert "1 Standard ticket = 1 token" in text(pricing)


@pytest.mark.parametrize("dark", [False, True])
def test_the_generator_and_pricing_page_fit_a_phone_and_pass_axe(
        make_page, live_server, fake_openrouter, packs, dark):
    user = funded_user(tokens=10)
    page = make_page(360, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)

    page.goto(NEW)
    expect(page.get_by_label("Advanced · 3 tokens")).to_have_accessible_description(
        "Complex features and epics, stronger model.")
    page.get_by_label("Advanced · 3 tokens").check()
    expect(page.locator("[data-cost-label]")).to_have_text("3 tokens")
    check_page(page, f"generator-tiers-{'dark' if dark else 'light'}")

    page.goto(PRICING)
    expect(page.locator('[data-tier="standard"]')).to_contain_text("everyday tickets")
    check_page(page, f"pricing-tiers-{'dark' if dark else 'light'}")
