"""Buying tokens and plans for a team's pool: only its owners and admins, the team as its own
Stripe customer, no first-purchase discount, and the pool credited once however often Stripe
reports the payment."""

from django.urls import reverse

from accounts.teams.models import Membership, TeamEvent
from accounts.teams.services import create_organization
from billing.models import BillingCustomer, PlanSubscription, Purchase
from tests.billing.conftest import without_trial
from tests.billing.stripe_billing import StripeBilling
from tests.builders import client_for, make_verified_user
from tests.helpers import assert_ledger_healthy


def team_client(user, team):
    client = client_for(user)
    client.post(reverse("teams:switch"), {"workspace": team.slug})
    return client


def buy(client, slug="professional"):
    return client.post(reverse("billing:checkout", args=[slug]))


def test_an_owner_buys_for_the_pool_and_it_is_credited_once(
        fake_stripe, synced_catalog, buyer, webhooks, django_capture_on_commit_callbacks):
    team = create_organization(user=buyer, name="Acme")
    client = team_client(buyer, team)

    response = buy(client)
    buy(client, "starter")

    purchase = Purchase.objects.order_by("id").first()
    params = fake_stripe.posts("/v1/checkout/sessions")[0]
    customers = fake_stripe.posts("/v1/customers")
    assert response.status_code == 303
    assert purchase.token_account == team.token_account
    assert params["metadata"]["organization"] == "acme"
    assert params["metadata"]["token_account"] == str(team.token_account_id)
    assert "discounts" not in params  # the first-purchase discount welcomes a person
    assert len(customers) == 1 and customers[0]["name"] == "Acme"
    assert params["customer"] == BillingCustomer.objects.get(
        token_account=team.token_account).stripe_customer_id
    request = next(call for call in fake_stripe.raw_requests
                   if call.url.endswith("/v1/customers"))
    assert request.headers["Idempotency-Key"] == f"myba-team-customer-{team.pk}"

    paid = fake_stripe.complete_session(purchase.stripe_checkout_session_id)
    for _ in range(2):  # Stripe delivers at least once
        with django_capture_on_commit_callbacks(execute=True):
            assert webhooks.post(fake_stripe.event("checkout.session.completed",
                                                   paid)).status_code == 200

    team.token_account.refresh_from_db()
    buyer.refresh_from_db()
    assert team.token_account.balance == 50
    assert buyer.token_account is None or buyer.token_account.balance == 0
    assert Purchase.objects.get(pk=purchase.pk).status == Purchase.Status.PAID
    bought = TeamEvent.objects.get(organization=team, action="bought")
    assert (bought.actor, bought.subject) == (buyer, "Professional pack ×1")
    thanks = client.get(reverse("billing:success"),
                        {"session_id": purchase.stripe_checkout_session_id}).content.decode()
    assert "Acme’s pool now holds <strong data-billing-balance>50</strong>" in thanks


def test_members_cannot_buy_for_the_pool(fake_stripe, synced_catalog, buyer):
    team = create_organization(user=buyer, name="Acme")
    member = make_verified_user()
    Membership.objects.create(organization=team, user=member, role="member")
    client = team_client(member, team)

    pricing = client.get(reverse("billing:pricing")).content.decode()
    response = buy(client)

    assert "Buying for Acme" in pricing and "only its owners and admins" in pricing
    assert response.status_code == 403
    assert "Switch to your personal account" in response.content.decode()
    assert not Purchase.objects.exists()
    assert fake_stripe.posts("/v1/checkout/sessions") == []


def test_an_owner_subscribes_the_team_and_its_allowance_fills_the_pool(
        fake_stripe, synced_plans, buyer, webhooks, tasks_inline,
        django_capture_on_commit_callbacks):
    without_trial(synced_plans, "basic-monthly")
    team = create_organization(user=buyer, name="Acme")
    client = team_client(buyer, team)

    response = client.post(reverse("billing:subscribe", args=["basic-monthly"]))

    assert response.status_code == 303
    params = fake_stripe.posts("/v1/checkout/sessions")[0]
    assert params["mode"] == "subscription"
    assert params["metadata"]["organization"] == "acme"
    assert params["customer"] == BillingCustomer.objects.get(
        token_account=team.token_account).stripe_customer_id
    session_id = response["Location"].rsplit("/", 1)[-1].split("#")[0]
    events = StripeBilling(fake_stripe).complete_checkout(session_id)
    for _ in range(2):  # every event delivered twice
        for type_, obj in events:
            with django_capture_on_commit_callbacks(execute=True):
                assert webhooks.post(fake_stripe.event(type_, obj)).status_code == 200

    row = PlanSubscription.objects.get()
    team.token_account.refresh_from_db()
    assert row.token_account == team.token_account and row.user == buyer
    assert team.token_account.balance == synced_plans["basic-monthly"].tokens_per_month
    buyer.refresh_from_db()
    assert buyer.token_account is None or buyer.token_account.balance == 0
    billing = client.get(reverse("billing:history")).content.decode()
    assert "Acme’s billing" in billing and "Basic" in billing
    assert_ledger_healthy()


def test_a_team_plan_in_test_mode_is_the_teams_to_cancel(client, buyer, plans, settings,
                                                        tasks_inline):
    settings.DEBUG, settings.STRIPE_TEST_SECRET_KEY = True, ""
    team = create_organization(user=buyer, name="Acme")
    client = team_client(buyer, team)
    started = client.post(reverse("billing:subscribe", args=["basic-monthly"]))
    client.post(started["Location"])

    row = PlanSubscription.objects.get()
    team.token_account.refresh_from_db()
    assert row.token_account == team.token_account
    assert team.token_account.balance == plans["basic-monthly"].trial_tokens

    client.post(reverse("billing:cancel_plan"), {"reason": "Team trial only"})
    personal = client_for(buyer)
    personal.post(reverse("teams:switch"), {"workspace": ""})

    assert PlanSubscription.objects.get().cancel_at_period_end is True
    assert "Acme’s billing" not in personal.get(reverse("billing:history")).content.decode()


def test_a_member_cannot_subscribe_the_team(fake_stripe, synced_plans, buyer):
    team = create_organization(user=buyer, name="Acme")
    member = make_verified_user()
    Membership.objects.create(organization=team, user=member, role="member")

    response = team_client(member, team).post(
        reverse("billing:subscribe", args=["basic-monthly"]))

    assert response.status_code == 403
    assert fake_stripe.posts("/v1/checkout/sessions") == []
    assert not PlanSubscription.objects.exists()
