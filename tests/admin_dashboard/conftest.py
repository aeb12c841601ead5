import itertools

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client

from tests.factories import UserFactory

_nonce = itertools.count()


def make_staff(*, mfa: bool = True, **kwargs):
    staff = UserFactory(is_staff=True, **kwargs)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    if mfa:
        Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP,
                                     data={"secret": "JBSWY3DPEHPK3PXP"})
    return staff


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def tasks_inline(celery_app):
    """Run Celery tasks in this process (the broker is real, but no worker in these tests)."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


