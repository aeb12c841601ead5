"""Issue 11 §5: an OAuth provider without an app answers 404 on every URL it has, never 500;
a configured one still sends the browser to the provider."""

from urllib.parse import urlparse

import pytest
import responses
from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site

pytestmark = pytest.mark.django_db

PROVIDERS = ["google", "github", "gitlab", "atlassian", "microsoft"]
AUTHORIZE_HOSTS = {
    "google": "accounts.google.com",
    "github": "github.com",
    "gitlab": "gitlab.com",
    "atlassian": "auth.atlassian.com",
    "microsoft": "login.microsoftonline.com",
}
PROVIDER_URLS = [
    (provider, method, f"/accounts/{provider}/{path}")
    for provider in PROVIDERS
    for method, path in [
        ("get", "login/"),
        ("post", "login/"),
        ("get", "login/callback/?code=abc&state=xyz"),
        ("post", "login/callback/"),
    ]
] + [("google", "get", "/accounts/google/login/token/"),
     ("google", "post", "/accounts/google/login/token/")]


@pytest.fixture
def no_oauth_apps(settings):
    """The README's default: no <PROVIDER>_CLIENT_ID/SECRET set and no SocialApp rows."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        name: {key: value for key, value in conf.items() if key != "APPS"}
        for name, conf in settings.SOCIALACCOUNT_PROVIDERS.items()
    }
    SocialApp.objects.all().delete()


@pytest.fixture
def no_network():
    """Any request to a real provider fails the test: the login redirect needs none."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.parametrize(("provider", "method", "url"), PROVIDER_URLS)
def test_unconfigured_provider_answers_404(client, settings, no_oauth_apps, provider, method, url):
    assert settings.DEBUG is False
    data = {"credential": "x", "g_csrf_token": "t"} if url.endswith("token/") else {}
    response = getattr(client, method)(url, data)
    assert response.status_code == 404


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_configured_from_the_environment_redirects_to_it(
    client, settings, no_oauth_apps, no_network, provider
):
    # What settings build from <PROVIDER>_CLIENT_ID and <PROVIDER>_CLIENT_SECRET.
    settings.SOCIALACCOUNT_PROVIDERS[provider]["APPS"] = [
        {"client_id": f"{provider}-client", "secret": "s3cret"}
    ]
    response = client.post(f"/accounts/{provider}/login/")
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.netloc == AUTHORIZE_HOSTS[provider]
    assert f"client_id={provider}-client" in location.query


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_configured_in_the_admin_redirects_to_it(
    client, no_oauth_apps, no_network, provider
):
    app = SocialApp.objects.create(
        provider=provider, name=provider, client_id=f"{provider}-row", secret="s3cret"
    )
    app.sites.add(Site.objects.get_current())
    assert client.get(f"/accounts/{provider}/login/").status_code == 200  # the confirm page
    response = client.post(f"/accounts/{provider}/login/")
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.netloc == AUTHORIZE_HOSTS[provider]
    assert f"client_id={provider}-row" in location.query
