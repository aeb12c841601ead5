"""Only active staff with MFA see the dashboard; everyone else gets a plain 404."""

import pytest
from django.test import Client

from tests.admin_dashboard.conftest import make_staff
from tests.factories import UserFactory

PAGES = [
    "/dashboard/",
    "/dashboard/funnel/",
    "/dashboard/users/",
    "/dashboard/audit/",
    "/dashboard/webhooks/",
    "/dashboard/generations/",
    "/dashboard/health/",
]


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "user", "staff_without_mfa", "inactive_staff"])
def test_everyone_but_staff_with_mfa_gets_404(who):
    user = {
        "anonymous": lambda: None,
        "user": lambda: UserFactory(),
        "staff_without_mfa": lambda: make_staff(mfa=False),
        "inactive_staff": lambda: make_staff(is_active=False),
    }[who]()
    client = client_for(user)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"Staff dashboard" not in response.content
    target = UserFactory()
    assert client.post(f"/dashboard/users/{target.pk}/adjust/",
                       {"amount": 5, "reason": "x"}).status_code == 404


@pytest.mark.django_db
def test_staff_with_mfa_opens_every_page(staff_client):
    for path in PAGES:
        response = staff_client.get(path)
        assert response.status_code == 200, path


@pytest.mark.django_db
def test_mfa_requirement_is_a_setting(settings):
    settings.DASHBOARD_REQUIRE_MFA = False
    client = client_for(make_staff(mfa=False))
    assert client.get("/dashboard/").status_code == 200
    assert client_for(UserFactory()).get("/dashboard/").status_code == 404


@pytest.mark.django_db
def test_health_endpoint_still_public(client):
    assert client.get("/health/").status_code in (200, 503)
