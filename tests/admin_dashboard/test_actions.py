"""Staff actions: token adjustments and deactivation, audit-logged (a staff member's retry
of a failed webhook is in tests/billing/test_retries.py, with the other two callers)."""

import pytest

from accounts.models import StaffAction, User
from accounts.services import get_or_open_user_account
from tests.builders import client_for
from tests.factories import UserFactory
from tests.helpers import assert_ledger_healthy
from tokens.models import LedgerEntry, TokenAccount
from tokens.services import grant_tokens


def form_nonce(client, user) -> str:
    page = client.get(f"/dashboard/users/{user.pk}/")
    return str(page.context["adjust_form"]["nonce"].value())


def adjust(client, user, amount, reason="goodwill after an outage", nonce=None):
    return client.post(
        f"/dashboard/users/{user.pk}/adjust/",
        {"amount": amount, "reason": reason, "nonce": nonce or form_nonce(client, user)},
        follow=True,
    )


@pytest.mark.django_db
def test_staff_adjusts_tokens_up_and_down_with_actor_reason_and_audit(staff_client, staff):
    customer = UserFactory()
    response = adjust(staff_client, customer, 25)
    assert response.status_code == 200
    assert "Adjusted +25 tokens; balance is now 25." in response.content.decode()

    entry = LedgerEntry.objects.get(kind="adjustment")
    assert (entry.amount, entry.actor, entry.memo) == (25, staff, "goodwill after an outage")
    action = StaffAction.objects.get()
    assert (action.actor, action.target, action.action) == (staff, customer, "adjust_tokens")
    assert action.details["amount"] == 25 and action.details["entry_id"] == entry.pk

    adjust(staff_client, customer, -10, reason="duplicate credit")
    customer.refresh_from_db()
    assert customer.token_account.balance == 15
    assert StaffAction.objects.count() == 2
    page = staff_client.get(
        f"/dashboard/users/{customer.pk}/?ledger_kind=adjustment").content.decode()
    assert "duplicate credit" in page and "goodwill after an outage" in page
    assert_ledger_healthy()


@pytest.mark.django_db
def test_a_resubmitted_form_adjusts_once(staff_client):
    customer = UserFactory()
    nonce = form_nonce(staff_client, customer)
    adjust(staff_client, customer, 5, nonce=nonce)
    adjust(staff_client, customer, 5, nonce=nonce)
    assert TokenAccount.objects.get(user=customer).balance == 5
    assert StaffAction.objects.count() == 1


@pytest.mark.django_db
def test_adjustment_errors_are_shown_and_change_nothing(staff_client):
    customer = UserFactory()
    grant_tokens(account=get_or_open_user_account(user=customer), amount=3, kind="welcome",
                 idempotency_key="t:welcome")

    too_big = adjust(staff_client, customer, -5)
    assert too_big.status_code == 400
    assert "Only 3 tokens are available" in too_big.content.decode()
    no_reason = adjust(staff_client, customer, 5, reason="   ")
    assert no_reason.status_code == 400 and "This field is required." in no_reason.content.decode()
    zero = adjust(staff_client, customer, 0)
    assert "Enter a non-zero number of tokens." in zero.content.decode()
    not_a_number = adjust(staff_client, customer, "lots")
    assert not_a_number.status_code == 400

    assert TokenAccount.objects.get(user=customer).balance == 3
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()
    assert not StaffAction.objects.exists()


@pytest.mark.django_db
def test_staff_deactivates_a_user_with_a_reason(staff_client, staff):
    customer = UserFactory()
    signed_in = client_for(customer)

    missing = staff_client.post(f"/dashboard/users/{customer.pk}/deactivate/", {"reason": ""})
    assert missing.status_code == 400
    assert User.objects.get(pk=customer.pk).is_active

    response = staff_client.post(
        f"/dashboard/users/{customer.pk}/deactivate/", {"reason": "chargeback fraud"},
        follow=True,
    )
    assert "is deactivated and signed out" in response.content.decode()
    assert not User.objects.get(pk=customer.pk).is_active
    action = StaffAction.objects.get()
    assert (action.action, action.actor, action.target, action.reason) == (
        "deactivate_user", staff, customer, "chargeback fraud"
    )
    assert signed_in.get("/account/settings/").status_code == 302  # no longer signed in
    audit = staff_client.get("/dashboard/audit/").content.decode()
    assert "chargeback fraud" in audit and customer.email in audit


@pytest.mark.django_db
def test_staff_cannot_deactivate_themselves(staff_client, staff):
    response = staff_client.post(f"/dashboard/users/{staff.pk}/deactivate/", {"reason": "oops"})
    assert response.status_code == 400
    assert "You cannot deactivate your own account." in response.content.decode()
    assert User.objects.get(pk=staff.pk).is_active


@pytest.mark.django_db
def test_audit_log_is_read_only_in_the_django_admin(staff, superuser_client):
    from accounts.services import record_staff_action

    record_staff_action(actor=staff, action="adjust_tokens", target=staff, reason="test")
    listing = superuser_client.get("/admin/accounts/staffaction/")
    assert listing.status_code == 200 and "test" in listing.content.decode()
    assert superuser_client.get("/admin/accounts/staffaction/add/").status_code == 403
    assert superuser_client.get("/admin/tokens/ledgerauditrun/").status_code == 200
