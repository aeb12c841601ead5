"""Connecting Jira in a browser, as a phone in dark mode and a desktop: the explanation page,
the fake Atlassian consent (clearly a local fake), and the site picker."""

import re

import pytest

from integrations.models import Connection
from tests.helpers import check_page, sign_in_browser_as


@pytest.mark.parametrize(("width", "dark"), [(360, True), (1280, False)])
def test_connect_jira_and_pick_a_site(make_page, live_server, jira_fake, user, width, dark):
    jira_fake.add_site("globex")
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, user)

    page.goto("/integrations/jira/")
    page.get_by_role("heading", name="Connect Jira Cloud").wait_for()
    check_page(page, f"jira-connect-{width}")
    page.get_by_role("button", name="Continue to Atlassian").click()

    page.get_by_role("heading", name="Local fake of Atlassian").wait_for()
    page.get_by_role("link", name="Allow").click()

    page.get_by_role("heading", name="Which Jira site?").wait_for()
    check_page(page, f"jira-sites-{width}")
    page.get_by_label(re.compile("^globex")).check()
    page.get_by_role("button", name="Use this site").click()

    page.wait_for_url(re.compile(r"/account/connections/\d+/target/$"))
    connection = Connection.objects.get(owner=user)
    assert connection.base_url == f"{jira_fake.url}/site/globex"
