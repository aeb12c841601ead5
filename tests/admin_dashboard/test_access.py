"""One staff rule for the dashboard and the Django admin: active staff (superusers included)
with MFA, unless DASHBOARD_REQUIRE_MFA is off. Staff lacking only MFA are sent to set it up;
everyone else gets a plain 404 on the dashboard."""

import pytest

from accounts.models import StaffAction
from admin_dashboard.access import MFA_NEEDED
from tests.builders import client_for, make_staff
from tests.factories import PASSWORD, UserFactory

PAGES = [
    "/dashboard/",
    "/dashboard/funnel/",
    "/dashboard/users/",
    "/dashboard/audit/",
    "/dashboard/webhooks/",
    "/dashboard/subscriptions/",
    "/dashboard/growth/",
    "/dashboard/generations/",
    "/dashboard/health/",
]
ADMIN_PAGES = ["/admin/", "/admin/accounts/staffaction/", "/admin/billing/purchase/"]

PEOPLE = {
    "anonymous": lambda: None,
    "user": lambda: UserFactory(),
    "staff": lambda: make_staff(),
    "superuser": lambda: make_staff(is_superuser=True),
    "staff_without_mfa": lambda: make_staff(mfa=False),
    "superuser_without_mfa": lambda: make_staff(mfa=False, is_superuser=True),
    "inactive_staff": lambda: make_staff(is_active=False, is_superuser=True),
}
# Who gets in, by whether DASHBOARD_REQUIRE_MFA is on.
ALLOWED = {
    True: {"staff", "superuser"},
    False: {"staff", "superuser", "staff_without_mfa", "superuser_without_mfa"},
}
WITHOUT_MFA = {"staff_without_mfa", "superuser_without_mfa"}
SIGNED_OUT = {"anonymous", "inactive_staff"}  # an inactive user's session signs nobody in


def assert_sent_to_mfa_setup(response):
    assert response.redirect_chain[-1][0] == "/accounts/2fa/"
    assert response.status_code == 200
    assert MFA_NEEDED in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("require_mfa", [True, False], ids=["mfa_required", "mfa_off"])
@pytest.mark.parametrize("who", list(PEOPLE))
def test_dashboard_access(settings, who, require_mfa):
    settings.DASHBOARD_REQUIRE_MFA = require_mfa
    client = client_for(PEOPLE[who]())
    for path in PAGES:
        response = client.get(path, follow=True)
        if who in ALLOWED[require_mfa]:
            assert response.status_code == 200, path
            assert response.redirect_chain == [], path
        elif who in WITHOUT_MFA:
            assert_sent_to_mfa_setup(response)
        else:
            assert response.status_code == 404, path
            assert b"Staff dashboard" not in response.content
    target = UserFactory()
    adjust = client.post(f"/dashboard/users/{target.pk}/adjust/", {"amount": 5, "reason": "x"})
    if who not in ALLOWED[require_mfa]:
        assert adjust.status_code == (302 if who in WITHOUT_MFA else 404)
        assert not StaffAction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("require_mfa", [True, False], ids=["mfa_required", "mfa_off"])
@pytest.mark.parametrize("who", list(PEOPLE))
def test_admin_access(settings, who, require_mfa):
    settings.DASHBOARD_REQUIRE_MFA = require_mfa
    user = PEOPLE[who]()
    client = client_for(user)
    for path in ADMIN_PAGES:
        response = client.get(path, follow=True)
        if who in ALLOWED[require_mfa]:
            # Past the site's rule, model permissions still apply to staff who are not
            # superusers.
            expected = 200 if user.is_superuser or path == "/admin/" else 403
            assert response.status_code == expected, path
            assert response.redirect_chain == [], path
        elif who in WITHOUT_MFA:
            assert_sent_to_mfa_setup(response)
        elif who in SIGNED_OUT:
            # allauth's sign-in page, which asks for the second factor, then comes back.
            login = response.redirect_chain[-1][0]
            assert login.startswith("/accounts/login/?next="), login
            assert response.status_code == 200
        else:
            assert response.status_code == 404, path


def test_admin_password_form_no_longer_signs_anyone_in(client, superuser):
    """Django's admin login took a password alone, skipping the second factor."""
    response = client.post(
        "/admin/login/?next=/admin/", {"username": superuser.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_staff_with_mfa_on_admin_login_go_to_the_admin(staff_client):
    response = staff_client.get("/admin/login/?next=/admin/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_admin_refuses_a_nul_in_its_list_lookups(superuser_client):
    response = superuser_client.get(
        "/admin/billing/purchase/", {"stripe_charge_id__exact": "\x00"}
    )
    assert (response.status_code, response.content) == (400, b"Null characters are not allowed.")
    assert superuser_client.get("/admin/billing/purchase/", {"q": "ch_1"}).status_code == 200


@pytest.mark.django_db
def test_health_endpoint_still_public(client):
    assert client.get("/health/").status_code in (200, 503)
