import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth keeps rate-limit counters in the shared cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def verified_user(db):
    """A user who signed up earlier and verified their email (can sign in with a password)."""
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
