"""Every staff dashboard page as staff see it in Chromium, on a desktop and on a 360 px phone:
its own heading, nothing wider than the screen, no axe-core violation, empty states that read
as sentences rather than a squeezed table cell."""

from io import StringIO

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import adjust_user_tokens
from billing.models import TokenPack
from tests.builders import make_staff
from tests.factories import UserFactory
from tests.helpers import assert_accessible, assert_fits_width, sign_in_with_totp_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(settings, tmp_path):
    """`make run`'s dashboard demo (customers, visitors, tickets, attempts, purchases)."""
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    TokenPack.objects.get_or_create(
        slug="starter", defaults={"name": "Starter", "tokens": 10, "price_cents": 500}
    )
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False


@pytest.mark.parametrize("width", [1280, 360])
def test_every_dashboard_page_has_its_heading_fits_and_passes_axe(make_page, demo_data, width):
    staff = make_staff(mfa=False, email="ops@example.com")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    customer = User.objects.filter(purchases__isnull=False).order_by("pk").first()
    adjust_user_tokens(actor=staff, user=customer, amount=5, reason="Goodwill after an outage",
                       idempotency_key="test:e2e:goodwill")
    newcomer = UserFactory(email="newcomer@example.com")  # nothing yet: every empty state

    page = make_page(width, axe=True)
    sign_in_with_totp_in_browser(page, staff, secret)
    pages = [
        ("/dashboard/", "Overview"),
        ("/dashboard/funnel/", "Funnel"),
        ("/dashboard/users/", "Users"),
        (f"/dashboard/users/{customer.pk}/", customer.email),
        (f"/dashboard/users/{newcomer.pk}/", newcomer.email),
        ("/dashboard/webhooks/", "Webhooks"),
        ("/dashboard/subscriptions/", "Subscriptions"),
        ("/dashboard/growth/", "Growth"),
        ("/dashboard/promotions/", "Promotions"),
        ("/dashboard/generations/", "Generations"),
        ("/dashboard/prompts/", "Prompts"),
        ("/dashboard/health/", "Health"),
        ("/dashboard/audit/", "Audit log"),
    ]
    for path, heading in pages:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        # On a phone the section tabs wrap: the current one is on screen, not scrolled away.
        tab = page.locator(".dashboard-tabs [aria-current=page]").bounding_box()
        assert tab["x"] >= 0 and tab["x"] + tab["width"] <= width, (path, tab)
        assert_fits_width(page)
        assert_accessible(page)

    page.goto(f"/dashboard/users/{newcomer.pk}/")
    for empty in ("No ledger entries yet.", "No purchases.", "No tickets.",
                  "No staff actions on this user."):
        expect(page.get_by_text(empty, exact=True)).to_be_visible()
    page.goto("/dashboard/webhooks/")
    expect(page.get_by_text("No deliveries from Stripe yet.", exact=True)).to_be_visible()
    assert page.locator("#webhooks").count() == 0  # no empty table beside it
