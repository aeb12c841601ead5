"""The local test mode (DEBUG, no Stripe keys): subscribe, renew, fail, recover, give up,
cancel and resume through the pages, each driving the services the webhooks call."""

import pytest
from django.urls import reverse

from billing.models import AllowanceGrant, PlanSubscription, SubscriptionCheckout
from tests.helpers import assert_ledger_healthy, user_balance


@pytest.fixture
def local_mode(settings, tasks_inline):
    settings.DEBUG, settings.STRIPE_TEST_SECRET_KEY = True, ""
    return settings


def _subscribe(client, slug: str) -> PlanSubscription:
    response = client.post(reverse("billing:subscribe", args=[slug]))
    assert response.status_code == 303
    page = client.get(response["Location"])
    assert "TEST MODE" in page.content.decode()
    done = client.post(response["Location"])
    assert done["Location"].startswith(reverse("billing:subscribed"))
    assert "has started" in client.get(done["Location"]).content.decode()
    return PlanSubscription.objects.get()


def _act(client, action: str) -> str:
    response = client.post(reverse("billing:test_subscription_action"), {"action": action},
                           follow=True)
    return response.content.decode()


def test_the_test_mode_drives_a_plan_through_its_life(client, buyer, plans, local_mode,
                                                      mailoutbox,
                                                      django_capture_on_commit_callbacks):
    client.force_login(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        row = _subscribe(client, "basic-monthly")
    assert (row.status, row.test_mode) == ("trialing", True)
    assert user_balance(buyer) == 10
    # Dated like Stripe's, so the staff page counts it among the period's new plans.
    assert row.started_at is not None
    assert SubscriptionCheckout.objects.get().completed_at is not None
    page = client.get(reverse("billing:history")).content.decode()
    assert "data-test-plan-actions" in page and "10 of 10 tokens left" in page

    assert "The next period started." in _act(client, "renew")
    assert user_balance(buyer) == 50  # the trial ended with the new period

    with django_capture_on_commit_callbacks(execute=True):
        page = _act(client, "fail")
    assert "past due" in page
    assert PlanSubscription.objects.get().status == "past_due"
    # Unpaid: no allowance for the new period (last month's tokens keep their own end date).
    assert user_balance(buyer) == 50
    assert len([m for m in mailoutbox if "could not renew" in m.subject]) == 1

    _act(client, "recover")
    assert PlanSubscription.objects.get().status == "active"
    assert user_balance(buyer) == 25 + 50  # 25 of the unused 50 carried over
    # This month is the new allowance and what was carried into it, nothing older.
    assert "75 of 75 tokens left" in client.get(reverse("billing:history")).content.decode()

    client.post(reverse("billing:cancel_plan"), {"reason": "Trying it out"})
    row = PlanSubscription.objects.get()
    assert (row.cancel_at_period_end, row.cancel_reason) == (True, "Trying it out")
    client.post(reverse("billing:resume_plan"))
    assert PlanSubscription.objects.get().cancel_at_period_end is False

    _act(client, "fail")
    with django_capture_on_commit_callbacks(execute=True):
        _act(client, "give_up")
    assert PlanSubscription.objects.get().status == "canceled"
    assert len([m for m in mailoutbox if "has ended" in m.subject]) == 1
    assert AllowanceGrant.objects.filter(kind="allowance").count() == 2
    assert_ledger_healthy()


def test_actions_out_of_order_are_refused_with_a_message(client, buyer, plans, local_mode):
    client.force_login(buyer)
    _subscribe(client, "basic-monthly")
    assert "Only a past-due plan can recover." in _act(client, "recover")
    assert "Choose a test action" in _act(client, "explode")
    assert PlanSubscription.objects.get().status == "trialing"


def test_a_second_plan_is_refused_in_the_test_mode(client, buyer, plans, local_mode):
    client.force_login(buyer)
    _subscribe(client, "basic-monthly")
    page = client.post(reverse("billing:subscribe", args=["pro-monthly"]), follow=True)
    assert "You already have the Basic plan" in page.content.decode()
    assert SubscriptionCheckout.objects.count() == 1


def test_the_test_mode_is_absent_with_keys_or_without_debug(client, buyer, plans, settings):
    client.force_login(buyer)
    settings.DEBUG = False
    response = client.post(reverse("billing:test_subscription_action"), {"action": "renew"})
    assert response.status_code == 404
    assert client.get(reverse("billing:test_subscribe", args=["cs_test_local_x"])
                      ).status_code == 404
