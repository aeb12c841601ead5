"""allauth's pages in the house style: sentence case in titles, headings, buttons and labels,
and a QR code described in words rather than by the secret it encodes."""

import re
from html.parser import HTMLParser

import pytest

from accounts.wording import sentence_case
from tests.helpers import reauthenticate, sign_in


@pytest.mark.parametrize(
    ("title_case", "sentence"),
    [
        ("Sign Up", "Sign up"),
        ("Verify Your Email Address", "Verify your email address"),
        ("Two-Factor Authentication", "Two-factor authentication"),
        ("Sign In Via Google", "Sign in via Google"),
        ("Connect GitHub", "Connect GitHub"),
        ("Enter TOTP Code", "Enter TOTP code"),
        ("New Password (Again)", "New password (again)"),
        ("Done. Sign In", "Done. Sign in"),
        (
            '<a href="/x" title="Big Word">Big Word</a> Here',
            '<a href="/x" title="Big Word">Big word</a> here',
        ),
    ],
)
def test_sentence_case(title_case, sentence):
    assert sentence_case(title_case) == sentence


class _Texts(HTMLParser):
    """The texts people read as names: the page title, headings, buttons, labels,
    placeholders."""

    NAMED = {"title", "h1", "h2", "h3", "button", "label"}

    def __init__(self):
        super().__init__()
        self.open: list[list[str]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        button_link = tag == "a" and "btn" in classes
        # A badge inside a label ("Verified", "Primary") is a name of its own.
        badge = tag == "span" and "badge" in classes
        if tag in self.NAMED or button_link or badge:
            self.open.append([tag])
        if attrs.get("placeholder"):
            self.texts.append(attrs["placeholder"])

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            self.texts.append(" ".join("".join(self.open.pop()[1:]).split()))

    def handle_data(self, data):
        if self.open:
            self.open[-1].append(data)


# A word capitalized in the middle of a sentence; proper nouns and our name are allowed.
TITLE_CASE_WORD = re.compile(r"(?<![.!?:·]) (?!Google|Microsoft|Atlassian)[A-Z][a-z]+\b")

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/confirm-email/",
    "/accounts/inactive/",
    "/accounts/3rdparty/login/cancelled/",
    "/accounts/3rdparty/login/error/",
]
SIGNED_IN_PAGES = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/3rdparty/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/webauthn/",
    "/accounts/2fa/webauthn/add/",
    "/accounts/2fa/recovery-codes/generate/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/accounts/sessions/",
    "/account/settings/",
    "/account/delete/",
]


def title_case_on(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return [text for text in parser.texts if TITLE_CASE_WORD.search(text)]


@pytest.mark.django_db
def test_every_allauth_page_we_render_is_in_sentence_case(client, verified_user):
    found = {}
    for path in ANONYMOUS_PAGES:
        response = client.get(path)
        assert response.status_code in (200, 401), path  # a failed OAuth login answers 401
        found[path] = title_case_on(response.content.decode())
    sign_in(client, verified_user.email)
    reauthenticate(client)
    for path in SIGNED_IN_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        found[path] = title_case_on(response.content.decode())

    assert {path: texts for path, texts in found.items() if texts} == {}


@pytest.mark.django_db
def test_the_login_page_reads_sign_in_and_the_password_reset_page_us_english(client):
    login = client.get("/accounts/login/").content.decode()
    title = re.search(r"<title>(.*?)</title>", login, re.S).group(1)
    assert " ".join(title.split()) == "Sign in · MyBA"
    reset = client.get("/accounts/password/reset/").content.decode()
    assert "Forgot your password?" in reset and "Forgotten" not in reset


@pytest.mark.django_db
def test_the_authenticator_qr_code_is_described_not_spelled_out(client, verified_user):
    sign_in(client, verified_user.email)
    reauthenticate(client)

    html = client.get("/accounts/2fa/totp/activate/").content.decode()

    secret = re.search(r'<input[^>]*id="authenticator_secret"[^>]*>', html).group(0)
    assert re.search(r'value="[A-Z2-7]{16,}"', secret), "the secret is there as text, labeled"
    alt = re.search(r'<img class="totp-qr"[^>]*alt="([^"]*)"', html).group(1)
    assert alt == "QR code to scan with your authenticator app"
