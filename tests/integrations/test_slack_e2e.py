"""Linking Slack as a person does it: the link from Slack, the confirm page, the Slack card —
on a phone in dark mode and on a desktop, by keyboard, accessible."""

import re

import pytest
from playwright.sync_api import expect

from accounts.teams.services import create_organization
from integrations.slack.models import SlackLink
from tests.builders import client_for, funded_user
from tests.helpers import check_page, sign_in_browser_as
from tests.integrations.fixtures_slack import COMMAND_PATH, send_to_myba

DESCRIPTION = "Let shoppers save their cart and come back to it on another device later"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "dark"), [(360, True), (1280, False)])
def test_link_slack_choose_the_team_and_unlink(make_page, live_server, fake_slack, prices,
                                               width, dark):
    user = funded_user(5)
    create_organization(user=user, name="Acme")
    answer = send_to_myba(client_for(), COMMAND_PATH, fake_slack.command(DESCRIPTION)).json()
    path = re.search(r"https://myba\.test(/integrations/slack/link/[^|>]+)", answer["text"])[1]
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)

    page.goto(path)
    expect(page.get_by_role("heading", name="Link your Slack account")).to_be_visible()
    expect(page.get_by_label("My own account")).to_be_checked()
    check_page(page, f"slack-link-{width}")
    page.get_by_label("Acme’s pool (your limits apply)").check()
    page.get_by_role("button", name="Link Slack").focus()
    page.keyboard.press("Enter")

    expect(page.locator("[data-slack-link]")).to_contain_text("Acme’s pool")
    expect(page.locator("body")).to_contain_text("Slack is linked.")
    assert SlackLink.objects.get().organization.name == "Acme"
    check_page(page, f"slack-card-{width}")

    page.goto(path)  # the same link again
    expect(page.locator("[data-link-error]")).to_contain_text("already used")
    check_page(page, f"slack-link-used-{width}")

    page.goto("/integrations/slack/")
    page.get_by_role("button", name="Unlink @you").click()
    expect(page.locator("[data-no-slack-links]")).to_be_visible()
    assert not SlackLink.objects.exists()
