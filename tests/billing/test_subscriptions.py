"""Subscribing: what Checkout is asked for, the portal for a second plan, two tabs paying at
once, bad input, the failed-renewal banner, and where a plan's tokens show on usage pages."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import close_user_account
from billing.models import (
    AllowanceGrant,
    PlanSubscription,
    SubscriptionCheckout,
    SubscriptionInvoice,
)
from billing.services.subscriptions.lifecycle import start_subscription
from tests.billing.conftest import Subscriber, without_trial
from tests.billing.stripe_billing import StripeBilling
from tests.billing.stripe_fake import Webhooks
from tests.helpers import assert_ledger_healthy, race, user_balance
from tokens.models import LedgerEntry, TokenAccount
from tokens.services import spend_tokens


def _checkout_params(fake_stripe) -> dict:
    return fake_stripe.posts("/v1/checkout/sessions")[-1]


def test_checkout_asks_for_a_subscription_with_trial_card_promotions_address_and_tax_id(
        subscriber, buyer):
    subscriber.open("basic-monthly")
    params = _checkout_params(subscriber.fake)
    assert params["mode"] == "subscription"
    assert params["line_items"]["0"]["price"] == subscriber.plans["basic-monthly"].stripe_price_id
    assert params["subscription_data"]["trial_period_days"] == "7"
    assert params["subscription_data"]["metadata"] == {
        "plan": "basic-monthly", "token_account": str(buyer.token_account_id),
        "user": str(buyer.pk), "kind": "subscription"}
    assert (params["payment_method_collection"], params["allow_promotion_codes"],
            params["billing_address_collection"], params["tax_id_collection"]["enabled"]) == (
        "always", "true", "required", "true")
    assert SubscriptionCheckout.objects.get().status == "open"


def test_a_second_plan_goes_through_the_portal_and_a_trial_is_given_once(subscriber):
    subscriber.subscribe("basic-monthly")
    result = start_subscription(user=subscriber.user, plan=subscriber.plans["pro-monthly"],
                                base_url="https://myba.example")
    assert result.kind == "portal"
    assert result.url.startswith("https://billing.stripe.com/")
    portal = subscriber.fake.posts("/v1/billing_portal/sessions")[-1]
    assert portal["flow_data"] == {"type": "subscription_update", "subscription_update": {
        "subscription": subscriber.subscription_id}}
    assert SubscriptionCheckout.objects.count() == 1

    subscriber.step(subscriber.clock.renew(subscriber.subscription_id))  # converts
    subscriber.fake.objects[subscriber.subscription_id]["cancel_at_period_end"] = True
    subscriber.step(subscriber.clock.renew(subscriber.subscription_id))  # ends
    subscriber.open("pro-monthly")
    assert "trial_period_days" not in _checkout_params(subscriber.fake)["subscription_data"]


def test_open_checkouts_of_the_account_are_expired_when_a_plan_starts(subscriber):
    first = subscriber.open("basic-monthly")
    second = subscriber.open("pro-monthly")
    events = subscriber.clock.complete_checkout(first)
    subscriber.subscription_id = events[0][1]["id"]
    subscriber.deliver(events)
    assert subscriber.fake.objects[second]["status"] == "expired"
    statuses = dict(SubscriptionCheckout.objects.values_list("stripe_checkout_session_id",
                                                             "status"))
    assert statuses == {first: "complete", second: "expired"}


@pytest.mark.django_db(transaction=True)
def test_two_tabs_paying_at_once_leave_one_subscription_and_refund_the_other(
        fake_stripe, synced_plans, buyer, webhook_endpoint, tasks_inline, mailoutbox):
    without_trial(synced_plans, "basic-monthly", "pro-monthly")
    clock = StripeBilling(fake_stripe)
    tabs = [Subscriber(fake_stripe, synced_plans, buyer, Webhooks(Client(), webhook_endpoint))
            for _ in range(2)]
    sessions = [tabs[0].open("basic-monthly"), tabs[1].open("pro-monthly")]
    steps = [clock.complete_checkout(session) for session in sessions]

    race(*[lambda tab=tab, events=events: tab.deliver(events)
           for tab, events in zip(tabs, steps, strict=True)])

    live = PlanSubscription.objects.get(duplicate=False)
    duplicate = PlanSubscription.objects.get(duplicate=True)
    assert live.status == "active"
    assert duplicate.status == "canceled" and duplicate.duplicate_settled_at is not None
    assert fake_stripe.objects[duplicate.stripe_subscription_id]["status"] == "canceled"
    refund = fake_stripe.posts("/v1/refunds")
    assert len(refund) == 1
    # Stripe reports the cancel and the refund back; they change nothing more.
    Subscriber(fake_stripe, synced_plans, buyer,
               Webhooks(Client(), webhook_endpoint)).deliver([
        ("customer.subscription.deleted", fake_stripe.objects[duplicate.stripe_subscription_id]),
        ("charge.refunded", fake_stripe.objects[fake_stripe.objects[
            refund[0]["payment_intent"]]["latest_charge"]])], repeat=2)
    assert user_balance(buyer) == live.plan.tokens_per_month
    assert SubscriptionInvoice.objects.get().subscription == live
    assert len([m for m in mailoutbox if "refunded the second one" in m.subject]) == 1
    assert PlanSubscription.objects.filter(duplicate=False, status__in=PlanSubscription.LIVE
                                           ).count() == 1
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_one_paid_invoice_delivered_concurrently_grants_once(
        fake_stripe, synced_plans, buyer, webhook_endpoint, tasks_inline):
    without_trial(synced_plans, "basic-monthly")
    tab = Subscriber(fake_stripe, synced_plans, buyer, Webhooks(Client(), webhook_endpoint))
    created, paid, completed = StripeBilling(fake_stripe).complete_checkout(
        tab.open("basic-monthly"))

    race(*[lambda: Subscriber(fake_stripe, synced_plans, buyer, Webhooks(
        Client(), webhook_endpoint)).deliver([paid])] * 4)

    assert user_balance(buyer) == 50
    assert AllowanceGrant.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="subscription").count() == 1
    assert_ledger_healthy()


def test_unknown_plan_or_anonymous_visitor_changes_nothing(client, buyer, synced_plans):
    response = client.post(reverse("billing:subscribe", args=["basic-monthly"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(buyer)
    response = client.post(reverse("billing:subscribe", args=["platinum"]), follow=True)
    assert "That plan is not on sale" in response.content.decode()
    assert not SubscriptionCheckout.objects.exists()
    assert client.get(reverse("billing:subscribe", args=["basic-monthly"])).status_code == 405


def test_a_subscription_to_a_price_that_is_not_ours_grants_nothing(subscriber, buyer):
    events = subscriber.clock.complete_checkout(subscriber.open("basic-monthly"))
    subscription, invoice = events[0][1], events[1][1]
    foreign = subscriber.fake.add({**subscriber.fake.objects[
        subscriber.plans["basic-monthly"].stripe_price_id], "id": "price_not_ours",
        "metadata": {}, "lookup_key": None})
    subscription["items"]["data"][0]["price"] = foreign
    for line in invoice["lines"]["data"]:
        line["pricing"]["price_details"]["price"] = "price_not_ours"
    subscriber.deliver(events)
    assert not PlanSubscription.objects.exists()
    assert user_balance(buyer) == 0
    assert not LedgerEntry.objects.filter(kind="subscription").exists()


def test_a_forged_signature_is_refused_and_grants_nothing(subscriber, buyer):
    events = subscriber.clock.complete_checkout(subscriber.open("basic-monthly"))
    for type_, obj in events:
        response = subscriber.webhooks.post(subscriber.fake.event(type_, obj),
                                            secret="whsec_forged_0123456789")
        assert response.status_code == 400
    assert not PlanSubscription.objects.exists()
    assert user_balance(buyer) == 0


def test_a_failed_renewal_shows_a_banner_on_every_page_until_it_is_paid(subscriber, client):
    subscriber.subscribe("basic-monthly")
    client.force_login(subscriber.user)
    assert "data-billing-alert" not in client.get("/tickets/new/").content.decode()
    subscriber.step(subscriber.clock.renew(subscriber.subscription_id))
    invoice, events = subscriber.clock.fail_renewal(subscriber.subscription_id)
    subscriber.step(events)
    page = client.get("/tickets/new/").content.decode()
    assert "We could not renew your Basic plan" in page
    assert reverse("billing:portal") in page
    subscriber.step(subscriber.clock.recover(invoice["id"]))
    assert "data-billing-alert" not in client.get("/tickets/new/").content.decode()


def test_the_portal_button_opens_a_stripe_portal_session(subscriber, client):
    subscriber.subscribe("basic-monthly")
    client.force_login(subscriber.user)
    page = client.get(reverse("billing:history")).content.decode()
    assert "data-manage-billing" in page and "Trial" in page
    response = client.get(reverse("billing:portal"))
    assert response.status_code == 303
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    assert subscriber.fake.posts("/v1/billing_portal/sessions")[-1]["return_url"].endswith(
        reverse("billing:history"))


def test_usage_shows_spends_paid_by_the_plan_allowance(subscriber, client):
    subscriber.subscribe("basic-monthly")
    spend_tokens(account=TokenAccount.objects.get(pk=subscriber.user.token_account_id),
                 amount=3, idempotency_key="test:usage")
    client.force_login(subscriber.user)
    page = " ".join(client.get(reverse("accounts:usage")).content.decode().split())
    assert "from plan allowance" in page  # which lots paid the spend
    assert "Basic plan" in page  # the allowance's credit, described by its invoice


def test_a_pack_checkout_creates_an_invoice_whose_links_reach_the_billing_page(
        checkouts, client, fake_stripe):
    purchase = checkouts.open("starter")
    params = _checkout_params(fake_stripe)
    assert (params["invoice_creation"]["enabled"], params["billing_address_collection"],
            params["tax_id_collection"]["enabled"]) == ("true", "required", "true")
    session = fake_stripe.complete_session(purchase.stripe_checkout_session_id)
    invoice = fake_stripe.objects[session["invoice"]]
    # The invoice's own events first, then the checkout: the links are kept either way.
    checkouts.deliver("invoice.finalized", invoice)
    checkouts.deliver("checkout.session.completed", session)
    checkouts.deliver("invoice.paid", invoice)
    purchase.refresh_from_db()
    assert (purchase.stripe_invoice_id, purchase.invoice_pdf) == (
        invoice["id"], invoice["invoice_pdf"])
    assert not SubscriptionInvoice.objects.exists()  # a pack's invoice grants nothing more
    assert user_balance(checkouts.user) == purchase.tokens
    client.force_login(checkouts.user)
    assert invoice["invoice_pdf"] in client.get(reverse("billing:history")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_refund_racing_its_paid_invoice_takes_the_allowance_back(
        fake_stripe, synced_plans, buyer, webhook_endpoint, tasks_inline):
    without_trial(synced_plans, "basic-monthly")
    tab = Subscriber(fake_stripe, synced_plans, buyer, Webhooks(Client(), webhook_endpoint))
    clock = StripeBilling(fake_stripe)
    created, paid, completed = clock.complete_checkout(tab.open("basic-monthly"))
    tab.deliver([created, completed])
    refunded = clock.refund_invoice(paid[1]["id"])[0]

    race(*[lambda event=event: Subscriber(fake_stripe, synced_plans, buyer, Webhooks(
        Client(), webhook_endpoint)).deliver([event]) for event in (paid, refunded)])

    assert user_balance(buyer) == 0
    grant = AllowanceGrant.objects.get()
    assert (grant.tokens_clawed_back, grant.clawback_shortfall) == (50, 0)
    assert SubscriptionInvoice.objects.get().amount_refunded == 1500
    assert_ledger_healthy()


def test_deleting_the_account_cancels_the_plan_and_a_late_invoice_grants_nothing(
        subscriber, client, caplog):
    without_trial(subscriber.plans, "basic-monthly")
    subscriber.subscribe("basic-monthly")
    client.force_login(subscriber.user)
    with subscriber.on_commit(execute=True):
        close_user_account(user=subscriber.user)
    stripe_side = subscriber.fake.objects[subscriber.subscription_id]
    assert stripe_side["status"] == "canceled"
    assert subscriber.row().status == "canceled"
    # A renewal Stripe had already started is paid late: recorded, nothing granted, no retry.
    stripe_side["status"] = "active"
    subscriber.step(subscriber.clock.renew(subscriber.subscription_id))
    assert LedgerEntry.objects.filter(kind="subscription").count() == 1
    assert "paid for closed token account" in caplog.text
    assert_ledger_healthy()


def test_the_data_export_carries_the_plan_and_its_invoices(subscriber, client):
    subscriber.subscribe("basic-monthly")
    subscriber.step(subscriber.clock.renew(subscriber.subscription_id))
    client.force_login(subscriber.user)
    data = json.loads(client.get(reverse("accounts:data_export")).content)
    [plan] = data["subscriptions"]
    assert (plan["plan"], plan["status"]) == ("Basic", "active")
    assert [invoice["kind"] for invoice in plan["invoices"]] == ["period", "trial"]
