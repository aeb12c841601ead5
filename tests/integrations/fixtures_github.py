"""Fixtures for the github fake (real HTTP on 127.0.0.1): the fake with its demo repository
`acme/shop`, a GitHub App key pair (the fake checks JWTs with the public half), and
connections by token and by app installation."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.fakes.github import DEMO_REPO, DEMO_TOKEN, FakeGitHub
from integrations.models import Connection, Kind

GITHUB_APP_ID = "424242"


@pytest.fixture(scope="session")
def github_app_keys() -> tuple[str, str]:
    """(private PEM, public PEM) of a test GitHub App."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture
def github_fake(settings, github_app_keys):
    """The fake GitHub with `acme/shop` (token `github_pat_local_fake`), the settings pointed
    at it and the test app configured."""
    private, public = github_app_keys
    with FakeGitHub(app_id=GITHUB_APP_ID, app_public_key=public, hold_seconds=1.5,
                    app_client_id="Iv1.test", app_client_secret="app-secret",
                    setup_url="http://testserver/integrations/github/installed/") as fake:
        fake.seed_demo()
        settings.GITHUB_API_URL = fake.url
        settings.GITHUB_WEB_URL = fake.url
        settings.GITHUB_APP_ID = GITHUB_APP_ID
        settings.GITHUB_APP_SLUG = "myba-test"
        settings.GITHUB_APP_PRIVATE_KEY = private
        settings.GITHUB_APP_CLIENT_ID, settings.GITHUB_APP_CLIENT_SECRET = (
            "Iv1.test", "app-secret")
        settings.INTEGRATIONS_TIMEOUT_SECONDS = 1.0
        yield fake


@pytest.fixture
def github_connection(github_fake, user):
    """A working connection of `user`'s by fine-grained token, sending to acme/shop."""
    return Connection.objects.create(
        owner=user, kind=Kind.GITHUB, auth=Connection.Auth.TOKEN, base_url=github_fake.url,
        account_ref=DEMO_REPO, access_token=DEMO_TOKEN, target={"repo": DEMO_REPO},
        label=DEMO_REPO, health=Connection.Health.OK)


@pytest.fixture
def github_app_connection(github_fake, user):
    """A working connection of `user`'s through an app installation on acme/shop (no token
    minted yet)."""
    installation = github_fake.add_installation(DEMO_REPO)
    return Connection.objects.create(
        owner=user, kind=Kind.GITHUB, auth=Connection.Auth.APP, base_url=github_fake.url,
        account_ref=str(installation), target={"repo": DEMO_REPO}, label=DEMO_REPO,
        health=Connection.Health.OK)


@pytest.fixture
def github(settings):
    """The push tests' GitHub: `acme/shop` open to tests.integrations.pushing.TOKEN, short
    timeouts and retries due at once (tests.integrations.pushing.start_github)."""
    from tests.integrations.pushing import start_github

    fake = start_github(settings)
    yield fake
    fake.stop()


@pytest.fixture
def owner(offline):
    """Someone with 10 tokens and the offline generator, to make tickets to push."""
    from tests.builders import funded_user

    return funded_user(10)
