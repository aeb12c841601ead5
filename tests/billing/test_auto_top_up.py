"""Automatic top-up (issue 14): a card saved through Stripe Checkout in setup mode, the chosen
pack bought off-session when the balance crosses the low-balance level — at most once a day,
one charge and one credit however many triggers race, credited once however often Stripe
reports it — and a declined card turns it off and emails the user. Stripe is the fake at the
HTTP boundary (tests/billing/stripe_fake.py) with signed webhooks."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.services import get_or_open_user_account
from billing.models import AutoTopUp, Purchase
from billing.services.auto_top_up import charge_auto_top_up, start_auto_top_up
from tests.builders import client_for, new_key
from tests.helpers import balance_of, race
from tokens.models import LedgerEntry
from tokens.selectors import find_balance_mismatches
from tokens.selectors.usage import list_movements
from tokens.services import grant_tokens, spend_tokens

pytestmark = pytest.mark.django_db


def funded(user, tokens: int):
    """The user's token account (opened if needed), credited `tokens` welcome tokens."""
    account = get_or_open_user_account(user=user)
    grant_tokens(account=account, amount=tokens, kind="welcome",
                 idempotency_key=new_key("welcome"))
    user.refresh_from_db()
    return account


def spend(account, tokens=1):
    return spend_tokens(account=account, amount=tokens, idempotency_key=new_key("spend"),
                        feature_key="ticket.standard")


@pytest.fixture
def card_holder(fake_stripe, synced_catalog, buyer, webhooks, tasks_inline,
                django_capture_on_commit_callbacks):
    """The buyer with 4 tokens and a card saved through Stripe's setup page, auto top-up on
    for the Starter pack (10 tokens)."""
    funded(buyer, 4)
    client = client_for(buyer)
    response = client.post(reverse("billing:save_card"))
    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/")
    [setup] = fake_stripe.posts("/v1/checkout/sessions")
    assert setup["mode"] == "setup" and setup["metadata"]["kind"] == "auto_top_up_card"
    session_id = response["Location"].rsplit("/", 1)[-1].split("#")[0]
    with django_capture_on_commit_callbacks(execute=True):
        event = fake_stripe.event("checkout.session.completed",
                                  fake_stripe.complete_setup(session_id))
        assert webhooks.post(event).status_code == 200
    client.post(reverse("billing:auto_top_up"),
                {"enabled": "on", "pack": synced_catalog["starter"].pk})
    top_up = AutoTopUp.objects.get(user=buyer)
    assert top_up.enabled and top_up.card_label == "Visa •••• 4242"
    return buyer


def test_running_low_buys_the_pack_once(card_holder, fake_stripe, webhooks,
                                        django_capture_on_commit_callbacks):
    account = card_holder.token_account
    with django_capture_on_commit_callbacks(execute=True):
        spend(account, 2)  # 4 -> 2: below the level of 3
    purchase = Purchase.objects.get(automatic=True)
    assert purchase.status == "paid" and purchase.tokens == 10
    assert balance_of(account) == 12
    [charge] = fake_stripe.posts("/v1/payment_intents")
    assert charge["off_session"] == "true" and charge["confirm"] == "true"
    assert charge["amount"] == "500" and charge["metadata"]["kind"] == "auto_top_up"
    assert fake_stripe.raw_requests[-1].headers["Idempotency-Key"] == \
        f"myba-auto-top-up-{purchase.public_id}"
    # Stripe reports it again, twice: nothing more is credited.
    intent = fake_stripe.objects[purchase.stripe_payment_intent_id]
    for _ in range(2):
        assert webhooks.post(fake_stripe.event("payment_intent.succeeded", intent)) \
            .status_code == 200
    assert balance_of(account) == 12
    assert LedgerEntry.objects.filter(
        idempotency_key=f"stripe:payment_intent:{intent['id']}").count() == 1
    # The usage history names it; the purchase history marks it automatic.
    [bought] = [m for m in list_movements(account).movements if m.kind == "purchase"]
    assert bought.title == "Bought Starter pack (automatic top-up)"
    page = client_for(card_holder).get(reverse("billing:history")).content.decode()
    assert "automatic</span>" in page
    receipt = client_for(card_holder).get(reverse("billing:receipt", args=[purchase.public_id]))
    assert "Starter pack — 10 tokens (automatic top-up)" in receipt.content.decode()
    assert find_balance_mismatches() == []


def test_at_most_once_a_day(card_holder, fake_stripe, django_capture_on_commit_callbacks):
    account = card_holder.token_account
    with django_capture_on_commit_callbacks(execute=True):
        spend(account, 2)  # crossed: bought, 12
    with django_capture_on_commit_callbacks(execute=True):
        spend(account, 10)  # 2: crossed again the same day
    assert Purchase.objects.filter(automatic=True).count() == 1
    AutoTopUp.objects.filter(user=card_holder).update(
        last_attempt_at=timezone.now() - timedelta(hours=25))
    grant_tokens(account=account, amount=5, kind="promo", idempotency_key=new_key("p"))
    with django_capture_on_commit_callbacks(execute=True):
        spend(account, 5)
    assert Purchase.objects.filter(automatic=True, status="paid").count() == 2
    assert len(fake_stripe.posts("/v1/payment_intents")) == 2


def test_a_declined_card_turns_it_off_and_emails(card_holder, fake_stripe,
                                                 django_capture_on_commit_callbacks):
    top_up = AutoTopUp.objects.get(user=card_holder)
    fake_stripe.declining.add(top_up.payment_method_id)
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    purchase = Purchase.objects.get(automatic=True)
    assert purchase.status == "failed" and purchase.lot_entry is None
    top_up.refresh_from_db()
    assert not top_up.enabled and top_up.last_failure == "Your card has insufficient funds."
    [email] = [m for m in mail.outbox if "top-up failed" in m.subject]
    assert "insufficient funds" in email.body and email.to == [card_holder.email]
    assert balance_of(card_holder.token_account) == 2
    page = client_for(card_holder).get(reverse("billing:history")).content.decode()
    assert "The last automatic top-up failed: Your card has insufficient funds." in page
    assert "Payment failed" in page


def test_a_refund_claws_the_tokens_back_like_any_purchase(card_holder, fake_stripe, webhooks,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    purchase = Purchase.objects.get(automatic=True)
    charge_id = fake_stripe.objects[purchase.stripe_payment_intent_id]["latest_charge"]
    assert webhooks.post(fake_stripe.event("charge.refunded", fake_stripe.refund(charge_id))) \
        .status_code == 200
    purchase.refresh_from_db()
    assert purchase.status == "refunded" and purchase.tokens_clawed_back == 10
    assert balance_of(card_holder.token_account) == 2


def test_turning_it_on_needs_a_card_and_a_pack(packs, buyer):
    client = client_for(buyer)
    response = client.post(reverse("billing:auto_top_up"),
                           {"enabled": "on", "pack": packs["starter"].pk}, follow=True)
    assert "Save a card first" in response.content.decode()
    assert not AutoTopUp.objects.get(user=buyer).enabled
    response = client.post(reverse("billing:auto_top_up"), {"enabled": "on", "pack": "999"},
                           follow=True)
    assert "Choose a pack that is on sale." in response.content.decode()


def test_nothing_happens_when_it_is_off(card_holder, fake_stripe,
                                        django_capture_on_commit_callbacks):
    AutoTopUp.objects.filter(user=card_holder).update(enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    assert not Purchase.objects.filter(automatic=True).exists()
    assert fake_stripe.posts("/v1/payment_intents") == []


@pytest.mark.django_db(transaction=True)
def test_racing_triggers_charge_and_credit_once(fake_stripe, packs, buyer):
    funded(buyer, 2)
    AutoTopUp.objects.create(user=buyer, enabled=True, pack=packs["starter"],
                             payment_method_id="pm_card_visa", stripe_customer_id="cus_x",
                             card_label="Visa •••• 4242")
    fake_stripe.customer(email=buyer.email, id="cus_x")
    started = race(*[lambda: start_auto_top_up(account_id=buyer.token_account_id)
                     for _ in range(6)])
    assert sum(purchase is not None for purchase in started) == 1
    [purchase] = Purchase.objects.filter(automatic=True)
    race(*[lambda: charge_auto_top_up(purchase_id=purchase.pk) for _ in range(4)])
    assert len({p["metadata"]["purchase"] for p in fake_stripe.posts("/v1/payment_intents")}) == 1
    assert len(set(fake_stripe.idempotent)) == 1  # every retry carried the same key
    assert balance_of(buyer.token_account) == 12
    assert find_balance_mismatches() == []


def test_the_local_test_mode_simulates_it(settings, packs, buyer, tasks_inline,
                                          django_capture_on_commit_callbacks):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    settings.STRIPE_LIVE_SECRET_KEY = ""
    funded(buyer, 4)
    client = client_for(buyer)
    page = client.post(reverse("billing:save_card"), follow=True).content.decode()
    assert "A test card is saved" in page and "Test card (nothing is charged)" in page
    client.post(reverse("billing:auto_top_up"), {"enabled": "on", "pack": packs["starter"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        spend(buyer.token_account, 2)
    purchase = Purchase.objects.get(automatic=True)
    assert purchase.test_mode and purchase.status == "paid"
    assert balance_of(buyer.token_account) == 12
