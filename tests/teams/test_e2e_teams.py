"""A team in Chromium: the owner creates it and invites a teammate, who signs up from the
emailed link, generates from the team's pool, and meets their daily limit — at desktop and
phone widths, each page checked for overflow and accessibility."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.teams.models import Membership, Organization
from tests.helpers import PASSWORD, check_page, sign_in_browser_as, wait_until
from tests.teams.conftest import fund_team

DESCRIPTION = "Support agents need to search conversations by customer email to answer faster."
# Not a duplicate of the first (the generator would warn before the limit's message).
OTHER_DESCRIPTION = "Team leads need a weekly report of unanswered conversations per agent."


def invitation_path() -> str:
    message = wait_until(lambda: next(
        (m for m in mail.outbox if "Join Acme" in m.subject), None),
        message="the invitation email never came")
    match = re.search(r"https?://[^/\s]+(/teams/invitations/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_team_from_creation_to_a_members_limit(make_page, live_server, owner, celery_worker,
                                                 offline):
    page = make_page(1280, axe=True)
    sign_in_browser_as(page, live_server, owner)
    page.goto("/teams/")
    expect(page.locator("[data-teams-empty]")).to_be_visible()
    page.get_by_label("Team name").fill("Acme")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Acme", level=1)).to_be_visible()
    team = Organization.objects.get()
    fund_team(team, 20)

    page.get_by_label("Email address").fill("teammate@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("[data-open-invitations]")).to_contain_text("teammate@example.com")
    check_page(page, "team-detail-1280")
    path = invitation_path()

    phone = make_page(360, axe=True, dark=True)
    phone.goto(path)
    expect(phone.get_by_role("heading", name="Join Acme")).to_be_visible()
    check_page(phone, "team-invitation-360")
    phone.locator("[data-invitation-signup]").click()
    phone.get_by_label("Password", exact=True).fill(PASSWORD)
    phone.get_by_label("Password (again)").fill(PASSWORD)
    phone.get_by_label("Email").fill("teammate@example.com")
    phone.get_by_role("button", name="Sign up").click()
    phone.locator("[data-accept-invitation]").click()
    expect(phone.get_by_role("heading", name="Acme", level=1)).to_be_visible()
    expect(phone.locator("#balance-badge")).to_contain_text("20 tokens")
    expect(phone.locator("#balance-badge")).to_contain_text("Acme")
    check_page(phone, "team-detail-member-360")

    # The owner gives the newcomer one token a day.
    member = Membership.objects.get(user__email="teammate@example.com")
    page.reload()
    row = page.locator('[data-member="teammate@example.com"]')
    row.get_by_label("Daily").fill("1")
    row.get_by_role("button", name="Save limits").click()
    expect(page.locator(".toast, .alert").first).to_contain_text("limits of teammate@example.com")
    member.refresh_from_db()
    assert member.daily_limit == 1
    page.set_viewport_size({"width": 360, "height": 900})
    page.reload()
    check_page(page, "team-detail-owner-360")
    page.set_viewport_size({"width": 1280, "height": 900})

    phone.goto("/tickets/new/")
    expect(phone.locator("[data-team-workspace]")).to_contain_text("Generating for Acme")
    phone.get_by_label("What needs doing?").fill(DESCRIPTION)
    phone.get_by_role("button", name=re.compile(r"Generate · 1 token")).click()
    expect(phone.locator("[data-ticket-card]")).to_be_visible(timeout=20_000)
    expect(phone.locator("#balance-badge")).to_contain_text("19 tokens")

    phone.goto("/tickets/new/")
    phone.get_by_label("What needs doing?").fill(OTHER_DESCRIPTION)
    phone.get_by_role("button", name=re.compile(r"Generate · 1 token")).click()
    expect(phone.locator("#generator .alert-error")).to_contain_text(
        "Your daily limit of 1 token is reached")
    check_page(phone, "team-limit-reached-360")

    page.goto(f"/teams/{team.slug}/usage/")
    expect(page.locator('[data-usage-row="teammate@example.com"] [data-spent]')).to_have_text("1")
    check_page(page, "team-usage-1280")
    page.goto(f"/teams/{team.slug}/audit/")
    expect(page.locator("[data-audit]")).to_contain_text("Changed the limits of")
    check_page(page, "team-audit-1280")
