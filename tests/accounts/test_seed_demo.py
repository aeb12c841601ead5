from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command


@pytest.mark.django_db
def test_seed_demo_creates_a_verified_staff_user_once_and_prints_the_login(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first, second = StringIO(), StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)

    password = (tmp_path / "demo-staff-password").read_text().strip()
    for out in (first.getvalue(), second.getvalue()):
        assert "staff@myba.local" in out and password in out
    user = get_user_model().objects.get(email="staff@myba.local")
    assert user.is_staff and user.is_superuser and user.check_password(password)
    assert EmailAddress.objects.get(user=user).verified
    assert user.token_account is not None
    assert get_user_model().objects.count() == 1
