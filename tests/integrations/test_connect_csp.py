"""Connect pages and the site's Content-Security-Policy."""

import pytest

from tests.builders import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("path", "setting"), [
    ("/integrations/jira/", "ATLASSIAN_AUTH_URL"),
    ("/integrations/github/", "GITHUB_WEB_URL"),
    ("/integrations/gitlab/", "GITLAB_URL"),
])
def test_connect_pages_let_their_form_go_on_to_the_tracker(settings, user, path, setting):
    """The site's CSP lets forms post only to itself, and Chromium applies it to the redirect
    after the POST: each connect page names its tracker's sign-in origin (and no other)."""
    setattr(settings, setting, "https://signin.tracker.example/some/path")
    policy = client_for(user).get(path)["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert form_action.split()[1:] == ["'self'", "https://signin.tracker.example"]
    home = client_for(user).get("/account/connections/")["Content-Security-Policy"]
    assert "signin.tracker.example" not in home
