"""Stripe webhooks end to end: signed events posted to dj-stripe's real endpoint.

Each scenario ends with the exact balance, one Purchase and a passing `ledger_audit`.
"""

import logging
import time

import pytest
from django.test import Client
from djstripe.models import Event, WebhookEventTrigger

from billing.models import Purchase
from billing.services import create_checkout_session
from tests.billing.stripe_fake import Webhooks
from tests.helpers import assert_ledger_healthy, race, user_balance
from tokens.models import LedgerEntry
from tokens.services import spend_tokens


def open_session(user, pack):
    return create_checkout_session(user=user, pack=pack, base_url="https://myba.example").purchase


def paid_session(fake_stripe, user, pack):
    purchase = open_session(user, pack)
    session = fake_stripe.complete_session(purchase.stripe_checkout_session_id)
    return purchase, session


def deliver(endpoint, event):
    """Stripe delivering `event`, from a client of its own (as from a thread of its own)."""
    return Webhooks(Client(raise_request_exception=False), endpoint).post(event)


def assert_one_purchase(status, *, tokens=50):
    assert Purchase.objects.count() == 1
    purchase = Purchase.objects.get()
    assert purchase.status == status
    assert purchase.tokens == tokens
    return purchase


def test_checkout_completed_credits_the_pack(fake_stripe, synced_catalog, buyer, webhooks):
    purchase, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    charge = fake_stripe.objects[fake_stripe.objects[session["payment_intent"]]["latest_charge"]]

    # Stripe's usual order: the charge first, then the session.
    assert webhooks.post(fake_stripe.event("charge.succeeded", charge)).status_code == 200
    response = webhooks.post(fake_stripe.event("checkout.session.completed", session))

    assert response.status_code == 200, response.content
    assert user_balance(buyer) == 50
    purchase = assert_one_purchase(Purchase.Status.PAID)
    assert purchase.stripe_payment_intent_id == session["payment_intent"]
    assert purchase.amount_total == session["amount_total"] == 1600  # first-purchase discount
    assert purchase.lot_entry.amount == 50
    assert purchase.lot_entry.idempotency_key == f"stripe:checkout:{session['id']}"
    assert purchase.receipt_url == charge["receipt_url"]
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_same_event_delivered_three_times_concurrently_credits_once(
    fake_stripe, synced_catalog, buyer, webhook_endpoint
):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    event = fake_stripe.event("checkout.session.completed", session)

    answers = race(*[lambda: deliver(webhook_endpoint, event)] * 3)

    assert [response.status_code for response in answers] == [200, 200, 200]
    assert user_balance(buyer) == 50
    assert_one_purchase(Purchase.Status.PAID)
    assert Event.objects.filter(id=event["id"]).count() == 1
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1
    assert_ledger_healthy()


def test_unrelated_and_invoice_events_in_between_change_nothing(
    fake_stripe, synced_catalog, buyer, webhooks
):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    customer = fake_stripe.objects[session["customer"]]
    other_customer = fake_stripe.customer(email="someone-else@example.com")
    invoice = fake_stripe.invoice(customer=other_customer["id"])
    intent = fake_stripe.objects[session["payment_intent"]]
    charge = fake_stripe.objects[intent["latest_charge"]]
    completed = fake_stripe.event("checkout.session.completed", session)

    for event in [
        fake_stripe.event("customer.updated", customer),
        fake_stripe.event("payment_intent.succeeded", intent),
        completed,
        fake_stripe.event("invoice.paid", invoice),
        fake_stripe.event("invoice.upcoming", {**invoice, "id": None}),
        completed,
        fake_stripe.event("payment_intent.succeeded", intent),
        fake_stripe.event("charge.succeeded", charge),  # after the session this time
    ]:
        response = webhooks.post(event)
        assert response.status_code == 200, (event["type"], response.content)

    assert user_balance(buyer) == 50
    purchase = assert_one_purchase(Purchase.Status.PAID)
    assert purchase.receipt_url == charge["receipt_url"]
    assert_ledger_healthy()


def test_refund_before_completed_ends_refunded_with_nothing_credited(
    fake_stripe, synced_catalog, buyer, webhooks
):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    charge_id = fake_stripe.objects[session["payment_intent"]]["latest_charge"]
    refunded = fake_stripe.refund(charge_id)

    assert webhooks.post(fake_stripe.event("charge.refunded", refunded)).status_code == 200
    assert user_balance(buyer) == 0
    assert_one_purchase(Purchase.Status.OPEN)

    assert (
        webhooks.post(fake_stripe.event("checkout.session.completed", session)).status_code == 200
    )

    assert user_balance(buyer) == 0
    purchase = assert_one_purchase(Purchase.Status.REFUNDED)
    assert purchase.tokens_clawed_back == 50
    assert purchase.needs_review is False
    assert_ledger_healthy()


def test_refund_after_part_was_spent_claws_back_the_rest_and_flags_it(
    fake_stripe, synced_catalog, buyer, webhooks
):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    webhooks.post(fake_stripe.event("checkout.session.completed", session))
    buyer.refresh_from_db()
    spend_tokens(account=buyer.token_account, amount=20, idempotency_key="test:spend:20")
    charge_id = fake_stripe.objects[session["payment_intent"]]["latest_charge"]

    refund_event = fake_stripe.event("charge.refunded", fake_stripe.refund(charge_id))
    assert webhooks.post(refund_event).status_code == 200
    assert webhooks.post(refund_event).status_code == 200  # redelivered: nothing more

    assert user_balance(buyer) == 0
    purchase = assert_one_purchase(Purchase.Status.REFUNDED)
    assert purchase.tokens_clawed_back == 30
    assert purchase.clawback_shortfall == 20
    assert purchase.needs_review is True
    assert LedgerEntry.objects.filter(kind="refund_clawback").get().amount == -30
    assert_ledger_healthy()


def test_partial_refund_claws_back_its_share(fake_stripe, synced_catalog, buyer, webhooks):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    webhooks.post(fake_stripe.event("checkout.session.completed", session))
    charge_id = fake_stripe.objects[session["payment_intent"]]["latest_charge"]

    half = session["amount_total"] // 2
    webhooks.post(fake_stripe.event("charge.refunded", fake_stripe.refund(charge_id, half)))
    assert user_balance(buyer) == 25
    assert_one_purchase(Purchase.Status.PARTIALLY_REFUNDED)

    webhooks.post(fake_stripe.event("charge.refunded", fake_stripe.refund(charge_id)))
    assert user_balance(buyer) == 0
    assert_one_purchase(Purchase.Status.REFUNDED)
    assert_ledger_healthy()


def test_bad_signature_is_refused_and_grants_nothing(fake_stripe, synced_catalog, buyer, webhooks):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])

    response = webhooks.post(
        fake_stripe.event("checkout.session.completed", session), secret="whsec_not_the_secret"
    )

    assert response.status_code == 400
    assert user_balance(buyer) == 0
    assert_one_purchase(Purchase.Status.OPEN)
    assert not Event.objects.exists()
    assert_ledger_healthy()


def test_old_timestamp_is_refused(fake_stripe, synced_catalog, buyer, webhooks):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])

    response = webhooks.post(
        fake_stripe.event("checkout.session.completed", session),
        timestamp=int(time.time()) - 3600,
    )

    assert response.status_code == 400
    assert user_balance(buyer) == 0
    assert_one_purchase(Purchase.Status.OPEN)
    assert_ledger_healthy()


def test_debug_secret_override_header_is_refused_in_production(
    fake_stripe, synced_catalog, buyer, webhooks, settings
):
    settings.DEBUG = False
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    forged = "whsec_attacker_chosen_secret"

    response = webhooks.post(
        fake_stripe.event("checkout.session.completed", session),
        secret=forged,
        headers={"X-Djstripe-Webhook-Secret": forged},
    )

    assert response.status_code == 400
    assert user_balance(buyer) == 0
    assert_one_purchase(Purchase.Status.OPEN)
    assert_ledger_healthy()


@pytest.mark.parametrize(
    "metadata",
    [
        {"pack": "platinum"},
        {"token_account": "999999"},
        {"user": "999999"},
        {"token_account": "not-a-number"},
    ],
)
def test_unknown_pack_or_account_is_logged_and_grants_nothing(
    fake_stripe, synced_catalog, buyer, webhooks, caplog, metadata
):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    session["metadata"].update(metadata)
    event = fake_stripe.event("checkout.session.completed", session)

    with caplog.at_level(logging.ERROR, logger="billing"):
        first = webhooks.post(event)
        again = webhooks.post(event)

    assert (first.status_code, again.status_code) == (200, 200)  # no redelivery loop
    assert "unknown pack, user or token account" in caplog.text
    assert user_balance(buyer) == 0
    assert_one_purchase(Purchase.Status.OPEN)
    assert WebhookEventTrigger.objects.filter(processed=True).count() == 2
    assert_ledger_healthy()


def test_unpaid_session_credits_nothing_until_the_async_payment_succeeds(
    fake_stripe, synced_catalog, buyer, webhooks
):
    purchase = open_session(buyer, synced_catalog["professional"])
    session = fake_stripe.complete_session(
        purchase.stripe_checkout_session_id, payment_status="unpaid"
    )

    assert (
        webhooks.post(fake_stripe.event("checkout.session.completed", session)).status_code == 200
    )
    assert user_balance(buyer) == 0
    assert_one_purchase(Purchase.Status.OPEN)

    session["payment_status"] = "paid"
    assert (
        webhooks.post(
            fake_stripe.event("checkout.session.async_payment_succeeded", session)
        ).status_code
        == 200
    )
    assert user_balance(buyer) == 50
    assert_one_purchase(Purchase.Status.PAID)
    assert_ledger_healthy()


def test_expired_session_closes_the_purchase(fake_stripe, synced_catalog, buyer, webhooks):
    purchase = open_session(buyer, synced_catalog["starter"])
    session = fake_stripe.objects[purchase.stripe_checkout_session_id]
    session["status"] = "expired"

    assert webhooks.post(fake_stripe.event("checkout.session.expired", session)).status_code == 200

    assert user_balance(buyer) == 0
    assert_one_purchase(Purchase.Status.EXPIRED, tokens=10)
    assert_ledger_healthy()


@pytest.mark.django_db(transaction=True)
def test_refund_and_completion_racing_each_other_end_refunded(
    fake_stripe, synced_catalog, buyer, webhook_endpoint
):
    _, session = paid_session(fake_stripe, buyer, synced_catalog["professional"])
    charge_id = fake_stripe.objects[session["payment_intent"]]["latest_charge"]
    events = [
        fake_stripe.event("checkout.session.completed", session),
        fake_stripe.event("charge.refunded", fake_stripe.refund(charge_id)),
    ]

    answers = race(*[lambda event=event: deliver(webhook_endpoint, event) for event in events])

    assert [response.status_code for response in answers] == [200, 200]
    assert user_balance(buyer) == 0
    purchase = assert_one_purchase(Purchase.Status.REFUNDED)
    assert purchase.tokens_clawed_back == 50
    assert_ledger_healthy()
