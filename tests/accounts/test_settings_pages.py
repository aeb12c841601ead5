"""Settings, delete account, the balance badge, and allauth pages in our design."""

import re
import subprocess
import sys

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site
from django.test import override_settings

from accounts.services import get_or_open_user_account
from tests.factories import PASSWORD, UserFactory
from tests.helpers import reauthenticate, sign_in
from tokens.services import grant_tokens

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def assert_our_page(html):
    """Rendered inside base.html, with the header balance, and CSP-safe (no inline JS)."""
    assert 'class="site-header"' in html
    assert 'id="balance-badge"' in html
    assert "css/app.css" in html
    for tag in SCRIPT_TAG.findall(html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in html
    assert " onclick=" not in html and " hx-on" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
)
def test_entrance_pages_use_our_design(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_our_page(response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/account/settings/",
        "/account/delete/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/3rdparty/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/sessions/",
    ],
)
def test_settings_pages_use_our_design(client, verified_user, path):
    sign_in(client, verified_user.email)
    reauthenticate(client)
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    assert_our_page(html)
    assert 'aria-label="Account settings"' in html  # the settings navigation


@pytest.mark.django_db
def test_settings_page_requires_sign_in_and_links_every_section(client, verified_user):
    assert client.get("/account/settings/")["Location"].startswith("/accounts/login/")

    sign_in(client, verified_user.email)
    html = client.get("/account/settings/").content.decode()
    for href in (
        "/accounts/email/",
        "/accounts/3rdparty/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/sessions/",
        "/account/delete/",
    ):
        assert f'href="{href}"' in html, href
    assert verified_user.email in html


@pytest.mark.django_db
def test_balance_badge_fragment_for_visitor_and_user(client):
    html = client.get("/account/balance/").content.decode()
    assert 'data-balance="3"' in html and "free tokens" in html
    assert "<html" not in html  # a fragment, not a page

    user = UserFactory()
    account = get_or_open_user_account(user=user)
    grant_tokens(account=account, amount=1, kind="promo", idempotency_key="test:promo")
    client.force_login(user)
    html = client.get("/account/balance/").content.decode()
    assert 'data-balance="1"' in html
    assert 'href="/pricing/"' in html and "Low balance" in html

    grant_tokens(account=account, amount=5, kind="promo", idempotency_key="test:promo2")
    html = client.get("/account/balance/").content.decode()
    assert 'data-balance="6"' in html and "Low balance" not in html


@pytest.mark.django_db
def test_header_renders_the_balance_inline_and_refreshes_on_tokens_changed(client):
    html = client.get("/").content.decode()
    slot = re.search(r'<span id="balance-badge"[^>]*>', html).group(0)
    assert 'hx-get="/account/balance/"' in slot
    assert 'hx-trigger="tokens-changed from:body"' in slot
    assert 'data-balance="3"' in html  # rendered server-side, no extra request


@pytest.mark.django_db
def test_oauth_buttons_appear_only_for_configured_providers(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'data-provider="' not in html

    app = SocialApp.objects.create(provider="gitlab", name="GitLab", client_id="id", secret="s")
    app.sites.add(Site.objects.get_current())
    html = client.get("/accounts/login/").content.decode()
    assert 'data-provider="gitlab"' in html
    assert 'data-provider="github"' not in html

    env_apps = {"github": {"APPS": [{"client_id": "id", "secret": "secret"}]}}
    with override_settings(SOCIALACCOUNT_PROVIDERS=env_apps):
        html = client.get("/accounts/signup/").content.decode()
    assert 'data-provider="github"' in html and 'data-provider="gitlab"' in html


def test_provider_apps_are_built_from_environment_variables():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings';"
        "from django.conf import settings;"
        "print(sorted(p for p, c in settings.SOCIALACCOUNT_PROVIDERS.items() if 'APPS' in c))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "x" * 50,
        "MYBA_ENCRYPTION_KEYS": "00M4NgaGJIql7RQjiMdTBVisMtcW7fEy4GHVNv-deDI=",  # test-only
        "GOOGLE_CLIENT_ID": "g-id",
        "GOOGLE_CLIENT_SECRET": "g-secret",
        "MICROSOFT_CLIENT_ID": "only-an-id",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['google']"


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client, verified_user):
    page = sign_in(client, verified_user.email, password=PASSWORD + "x").content.decode()
    assert "_auth_user_id" not in client.session
    assert "not correct" in page or "incorrect" in page.lower()


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Windows",
        ),
        ("", "Unknown browser"),
    ],
)
def test_sessions_show_a_readable_device(user_agent, label):
    from accounts.templatetags.accounts_tags import device_label

    assert device_label(user_agent) == label
