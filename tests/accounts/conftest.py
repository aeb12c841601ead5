import pytest
from allauth.account.models import EmailAddress

from tests.factories import UserFactory


@pytest.fixture
def verified_user(db):
    """A user who signed up earlier and verified their email (can sign in with a password)."""
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
