"""Connecting GitHub and GitLab in Chromium with a pasted token: a mistyped token is explained
in place, the right one leads to choosing the destination and back to a working connection.
At 1280 px light and 360 px dark, each page fitting the screen and passing axe-core."""

import pytest
from playwright.sync_api import expect

from integrations.fakes.github import DEMO_REPO, DEMO_TOKEN
from integrations.fakes.gitlab import DEMO_PROJECT
from integrations.fakes.gitlab import DEMO_TOKEN as GITLAB_TOKEN
from integrations.models import Connection
from tests.factories import UserFactory
from tests.helpers import check_page, sign_in_browser_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SIZES = pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)],
                                ids=["1280", "360-dark"])


def choose_and_finish(page, label: str) -> None:
    expect(page.get_by_role("radio", name=label)).to_be_checked()
    page.get_by_role("button", name="Use this destination").click()
    row = page.locator("[data-connection]")
    expect(row).to_have_attribute("data-health", "ok")
    expect(row).to_contain_text(label)


@SIZES
def test_connect_github_with_a_token(make_page, live_server, github_fake, width, dark):
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, UserFactory())
    page.goto("/integrations/github/")
    expect(page.get_by_role("button", name="Install the GitHub App")).to_be_visible()
    check_page(page, f"github-connect-{width}")

    page.get_by_label("Fine-grained personal access token").fill("github_pat_mistyped")
    page.get_by_label("Repository").fill(DEMO_REPO)
    page.get_by_label("Repository").press("Enter")
    expect(page.locator("[data-field-error=token]")).to_contain_text(
        "does not accept this token")
    expect(page.get_by_label("Repository")).to_have_value(DEMO_REPO)
    check_page(page, f"github-connect-error-{width}")

    page.get_by_label("Fine-grained personal access token").fill(DEMO_TOKEN)
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_role("heading", name="Where should GitHub issues go?")).to_be_visible()
    check_page(page, f"github-target-{width}")
    choose_and_finish(page, DEMO_REPO)
    assert Connection.objects.get().auth == "token"


@SIZES
def test_connect_gitlab_with_a_token(make_page, live_server, gitlab_fake, width, dark):
    page = make_page(width, axe=True, dark=dark)
    sign_in_browser_as(page, live_server, UserFactory())
    page.goto("/integrations/gitlab/")
    expect(page.get_by_role("button", name="Connect with GitLab")).to_be_visible()
    expect(page.get_by_label("GitLab address")).to_have_value(gitlab_fake.url)
    check_page(page, f"gitlab-connect-{width}")

    page.get_by_label("Project path").fill("acme")
    page.get_by_label("Project access token", exact=True).fill(GITLAB_TOKEN)
    page.get_by_label("Project access token", exact=True).press("Enter")
    expect(page.locator("[data-field-error=project]")).to_contain_text("as group/project")
    check_page(page, f"gitlab-connect-error-{width}")

    page.get_by_label("Project path").fill(DEMO_PROJECT)
    page.get_by_label("Project access token", exact=True).fill(GITLAB_TOKEN)
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_role("heading", name="Where should GitLab issues go?")).to_be_visible()
    choose_and_finish(page, f"{DEMO_PROJECT} on {gitlab_fake.url.split('://')[1]}")
    assert Connection.objects.get().auth == "token"
