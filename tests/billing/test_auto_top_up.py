"""Automatic top-up (issue 14): a card saved through Stripe Checkout in setup mode, the chosen
pack bought off-session when the balance crosses the low-balance level — at most once a day,
one charge and one credit however many triggers race, credited once however often Stripe
reports it — and a refused charge turns it off and emails the user once. Stripe is the fake at
the HTTP boundary (tests/billing/stripe_fake.py) with signed webhooks; the local test mode
(`make run`) runs the same services with a simulated card."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import get_or_open_user_account
from billing.models import AutoTopUp, Purchase
from billing.services.auto_top_up import (
    charge_auto_top_up,
    send_auto_top_up_failed_email,
    start_auto_top_up,
)
from billing.services.fulfilment import fulfill_payment_intent
from tests.billing.stripe_fake import Webhooks
from tests.builders import client_for, funded_account, make_verified_user, new_key
from tests.helpers import balance_of, check_page, race, sign_in_in_browser
from tokens.models import LedgerEntry
from tokens.selectors import find_balance_mismatches
from tokens.selectors.usage import list_movements
from tokens.services import grant_tokens, set_low_balance_threshold, spend_tokens

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


def failure_emails():
    return [m for m in mail.outbox if "automatic top-up failed" in m.subject]


def history_page(user) -> str:
    return client_for(user).get(reverse("billing:history")).content.decode()


def text(html: str) -> str:
    """The page's words with the markup's line breaks and indentation folded."""
    return " ".join(html.split())


@pytest.fixture
def card_holder(fake_stripe, synced_catalog, buyer, webhooks, tasks_inline,
                django_capture_on_commit_callbacks):
    """The buyer with 4 tokens (the alert level is 3) and a card saved through Stripe's setup
    page, auto top-up on for the Starter pack (10 tokens, $5.00)."""
    funded(buyer, 4)
    client = client_for(buyer)
    response = client.post(reverse("billing:save_card"))
    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/")
    [setup] = fake_stripe.posts("/v1/checkout/sessions")
    assert setup["mode"] == "setup" and setup["metadata"]["kind"] == "auto_top_up_card"
    session_id = response["Location"].rsplit("/", 1)[-1].split("#")[0]
    event = fake_stripe.event("checkout.session.completed",
                              fake_stripe.complete_setup(session_id))
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.post(event).status_code == 200
    response = client.post(reverse("billing:auto_top_up"),
                           {"enabled": "true", "pack": synced_catalog["starter"].pk})
    assert response.status_code == 302
    top_up = AutoTopUp.objects.get(user=buyer)
    assert top_up.enabled and top_up.card_label == "Visa •••• 4242"
    assert top_up.payment_method_id == fake_stripe.objects[
        fake_stripe.objects[session_id]["setup_intent"]]["payment_method"]
    assert not Purchase.objects.filter(automatic=True).exists()  # 4 is not below 3
    return buyer


def test_a_card_saved_twice_by_stripe_is_kept_once(fake_stripe, synced_catalog, buyer,
                                                   webhooks, tasks_inline,
                                                   django_capture_on_commit_callbacks):
    """A redelivered setup event keeps the one card; a setup session that is not ours saves
    nothing; saving a card turns nothing on."""
    response = client_for(buyer).post(reverse("billing:save_card"))
    session_id = response["Location"].rsplit("/", 1)[-1].split("#")[0]
    event = fake_stripe.event("checkout.session.completed",
                              fake_stripe.complete_setup(session_id, brand="mastercard",
                                                         last4="4444"))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert webhooks.post(event).status_code == 200
    top_up = AutoTopUp.objects.get(user=buyer)
    assert top_up.card_label == "Mastercard •••• 4444" and not top_up.enabled
    other = fake_stripe.complete_setup(session_id, last4="1111")
    other = {**other, "id": "cs_test_someone_elses", "metadata": {"kind": "another_product"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.post(fake_stripe.event("checkout.session.completed", other)) \
            .status_code == 200
    top_up.refresh_from_db()
    assert top_up.card_label == "Mastercard •••• 4444"
    page = text(history_page(buyer))
    assert "Mastercard •••• 4444" in page and "Off. Choose a pack and turn it on." in page


def test_running_low_buys_the_pack_once(card_holder, fake_stripe, webhooks,
                                        django_capture_on_commit_callbacks):
    account = card_holder.token_account
    with django_capture_on_commit_callbacks(execute=True):
        spend(account, 2)  # 4 -> 2: below the level of 3
    purchase = Purchase.objects.get(automatic=True)
    assert purchase.status == "paid" and purchase.tokens == 10
    assert balance_of(account) == 12
    [charge] = fake_stripe.posts("/v1/payment_intents")
    top_up = AutoTopUp.objects.get(user=card_holder)
    assert charge["off_session"] == "true" and charge["confirm"] == "true"
    assert (charge["customer"], charge["payment_method"]) == (top_up.stripe_customer_id,
                                                              top_up.payment_method_id)
    assert (charge["amount"], charge["currency"]) == ("500", "usd")
    assert charge["metadata"] == {"kind": "auto_top_up", "purchase": str(purchase.public_id),
                                  "pack": "starter", "token_account": str(account.pk),
                                  "user": str(card_holder.pk)}
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
    # The usage history names it; the purchase history marks it automatic and says so.
    [bought] = [m for m in list_movements(account).movements if m.kind == "purchase"]
    assert bought.title == "Bought Starter pack (automatic top-up)"
    page = text(history_page(card_holder))
    assert "automatic</span>" in page
    assert "Starter pack, 10 tokens for $5.00, on " in page
    assert "Not before " in page  # the next one waits a day
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
        last_attempt_at=timezone.now() - timedelta(hours=23))
    assert start_auto_top_up(account_id=account.pk) is None  # still within the day
    AutoTopUp.objects.filter(user=card_holder).update(
        last_attempt_at=timezone.now() - timedelta(hours=24, seconds=1))
    grant_tokens(account=account, amount=5, kind="promo", idempotency_key=new_key("p"))
    with django_capture_on_commit_callbacks(execute=True):
        spend(account, 5)
    assert Purchase.objects.filter(automatic=True, status="paid").count() == 2
    assert len(fake_stripe.posts("/v1/payment_intents")) == 2


def test_a_declined_card_turns_it_off_and_emails_once(card_holder, fake_stripe, webhooks,
                                                      django_capture_on_commit_callbacks):
    top_up = AutoTopUp.objects.get(user=card_holder)
    fake_stripe.declining.add(top_up.payment_method_id)
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    purchase = Purchase.objects.get(automatic=True)
    assert purchase.status == "failed" and purchase.lot_entry is None
    assert purchase.stripe_payment_intent_id  # the failed intent, for staff to look up
    top_up.refresh_from_db()
    assert not top_up.enabled and top_up.last_failure == "Your card has insufficient funds."
    assert top_up.failure_emailed_at is not None
    [email] = failure_emails()
    assert email.to == [card_holder.email]
    assert "could not buy the Starter pack.\nYour card has insufficient funds." in email.body
    assert "insufficient funds" in email.alternatives[0][0]
    assert balance_of(card_holder.token_account) == 2
    page = text(history_page(card_holder))
    assert "Automatic top-up turned itself off on" in page
    assert "Your card has insufficient funds." in page
    assert "the payment failed, nothing was charged." in page and "Payment failed" in page
    # A second delivery of the email task sends nothing more.
    assert send_auto_top_up_failed_email(user_id=card_holder.pk) is False
    # The user turns it back on (nothing is bought: today's attempt was made); then Stripe's
    # own report of that failure arrives, late: it neither turns it off again nor emails.
    client_for(card_holder).post(reverse("billing:auto_top_up"),
                                 {"enabled": "true", "pack": top_up.pack_id})
    failed = fake_stripe.objects[purchase.stripe_payment_intent_id]
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.post(fake_stripe.event("payment_intent.payment_failed", failed)) \
            .status_code == 200
    top_up.refresh_from_db()
    assert top_up.enabled and len(failure_emails()) == 1
    assert Purchase.objects.filter(automatic=True).count() == 1
    assert "Last failure" in history_page(card_holder)


@pytest.mark.parametrize(("card_list", "reason"), [
    ("requiring_authentication",
     "Your bank asked to confirm the payment, which cannot be done while you are away."),
    ("detached",
     "Your saved card can no longer be used. Save a card again to turn automatic top-up back on."),
])
def test_a_charge_stripe_refuses_turns_it_off(card_holder, fake_stripe, card_list, reason,
                                              django_capture_on_commit_callbacks):
    """3-D Secure asked for while the user is away, or a card detached in Stripe: no retry
    can help, so it is off with the reason, and the user is emailed."""
    top_up = AutoTopUp.objects.get(user=card_holder)
    getattr(fake_stripe, card_list).add(top_up.payment_method_id)
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    assert Purchase.objects.get(automatic=True).status == "failed"
    top_up.refresh_from_db()
    assert not top_up.enabled and top_up.last_failure == reason
    [email] = failure_emails()
    assert reason in email.body
    assert balance_of(card_holder.token_account) == 2


@pytest.mark.parametrize("succeeded", [True, False])
def test_a_processing_charge_is_settled_by_its_webhook(card_holder, fake_stripe, webhooks,
                                                       succeeded,
                                                       django_capture_on_commit_callbacks):
    top_up = AutoTopUp.objects.get(user=card_holder)
    fake_stripe.processing.add(top_up.payment_method_id)
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    purchase = Purchase.objects.get(automatic=True)
    assert purchase.status == "open" and purchase.stripe_payment_intent_id
    assert "waiting for the payment to go through" in text(history_page(card_holder))
    intent = fake_stripe.settle(purchase.stripe_payment_intent_id, succeeded=succeeded)
    event = "payment_intent.succeeded" if succeeded else "payment_intent.payment_failed"
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.post(fake_stripe.event(event, intent)).status_code == 200
    purchase.refresh_from_db()
    top_up.refresh_from_db()
    if succeeded:
        assert purchase.status == "paid" and balance_of(card_holder.token_account) == 12
        assert top_up.enabled and failure_emails() == []
    else:
        assert purchase.status == "failed" and balance_of(card_holder.token_account) == 2
        assert not top_up.enabled and top_up.last_failure == "Your card was declined."
        assert len(failure_emails()) == 1


def test_a_refund_claws_the_tokens_back_like_any_purchase(card_holder, fake_stripe, webhooks,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    purchase = Purchase.objects.get(automatic=True)
    charge_id = fake_stripe.objects[purchase.stripe_payment_intent_id]["latest_charge"]
    refunded = fake_stripe.event("charge.refunded", fake_stripe.refund(charge_id))
    for _ in range(2):  # Stripe reports the refund twice: clawed back once
        assert webhooks.post(refunded).status_code == 200
    purchase.refresh_from_db()
    assert purchase.status == "refunded" and purchase.tokens_clawed_back == 10
    assert balance_of(card_holder.token_account) == 2
    assert LedgerEntry.objects.filter(kind="refund_clawback").count() == 1
    assert "$5.00 refunded" in text(history_page(card_holder))
    assert find_balance_mismatches() == []


def test_turning_it_on_needs_a_card_and_a_pack_and_bad_input_changes_nothing(packs, buyer):
    client = client_for(buyer)
    response = client.post(reverse("billing:auto_top_up"),
                           {"enabled": "true", "pack": packs["starter"].pk})
    assert response.status_code == 400
    assert "Save a card first" in response.content.decode()
    assert not AutoTopUp.objects.filter(user=buyer, enabled=True).exists()
    AutoTopUp.objects.update_or_create(user=buyer, defaults={
        "payment_method_id": "pm_card_visa", "card_label": "Visa •••• 4242"})
    for bad in ({"enabled": "true", "pack": "999"}, {"enabled": "true", "pack": "starter"},
                {"enabled": "true"}):
        response = client.post(reverse("billing:auto_top_up"), bad)
        assert response.status_code == 400, bad
        page = response.content.decode()
        assert 'aria-invalid="true"' in page and "Automatic top-up was not changed" in page
        assert "Choose a pack that is on sale." in page or "Choose the pack to buy." in page
    packs["starter"].active = False
    packs["starter"].save()
    response = client.post(reverse("billing:auto_top_up"),
                           {"enabled": "true", "pack": packs["starter"].pk})
    assert response.status_code == 400
    top_up = AutoTopUp.objects.get(user=buyer)
    assert not top_up.enabled and top_up.pack is None
    # Good input: on, then off with the "Turn off" button.
    response = client.post(reverse("billing:auto_top_up"),
                           {"enabled": "true", "pack": packs["professional"].pk}, follow=True)
    assert "Automatic top-up is on: we buy the Professional pack" in response.content.decode()
    response = client.post(reverse("billing:auto_top_up"), {"enabled": "false"}, follow=True)
    assert "Automatic top-up is off." in response.content.decode()
    top_up.refresh_from_db()
    assert not top_up.enabled and top_up.pack == packs["professional"]


def test_nothing_happens_when_it_is_off_or_without_a_card(card_holder, fake_stripe, packs,
                                                          django_capture_on_commit_callbacks):
    AutoTopUp.objects.filter(user=card_holder).update(enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    # Nobody else has it on: a user without settings, a visitor's account.
    other = make_verified_user()
    stranger = funded(other, 3)
    visitor = funded_account(3, label="visitor:1")
    with django_capture_on_commit_callbacks(execute=True):
        spend(stranger, 1)
        spend(visitor, 1)
    assert start_auto_top_up(account_id=visitor.pk) is None
    assert not Purchase.objects.filter(automatic=True).exists()
    assert fake_stripe.posts("/v1/payment_intents") == []
    assert not AutoTopUp.objects.filter(user=other).exists()


def test_a_trigger_that_waited_while_the_user_bought_tokens_buys_nothing(
        card_holder, fake_stripe, django_capture_on_commit_callbacks):
    account = card_holder.token_account
    spend(account, 2)  # crossed; its trigger is still queued (no on-commit run here)
    grant_tokens(account=account, amount=10, kind="promo", idempotency_key=new_key("bought"))
    assert start_auto_top_up(account_id=account.pk) is None
    set_low_balance_threshold(account=account, threshold=0)  # alerts off: never low
    spend(account, 11)
    assert start_auto_top_up(account_id=account.pk) is None
    assert fake_stripe.posts("/v1/payment_intents") == []


def test_turning_it_on_while_low_buys_at_once(card_holder, fake_stripe,
                                              django_capture_on_commit_callbacks):
    client = client_for(card_holder)
    client.post(reverse("billing:auto_top_up"), {"enabled": "false"})
    spend(card_holder.token_account, 2)  # 2, below 3, while it was off: no trigger
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:auto_top_up"),
                               {"enabled": "true", "pack": AutoTopUp.objects.get(
                                   user=card_holder).pack_id}, follow=True)
    assert "You are below your alert level now, so we are buying it now." in \
        response.content.decode()
    assert Purchase.objects.get(automatic=True).status == "paid"
    assert balance_of(card_holder.token_account) == 12
    # Saving the pack again (it is on already) buys nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 10)
        client.post(reverse("billing:auto_top_up"), {"enabled": "true", "pack": AutoTopUp
                                                     .objects.get(user=card_holder).pack_id})
    assert Purchase.objects.filter(automatic=True).count() == 1


def test_a_pack_taken_off_sale_turns_it_off(card_holder, synced_catalog, fake_stripe,
                                            django_capture_on_commit_callbacks):
    synced_catalog["starter"].active = False
    synced_catalog["starter"].save()
    with django_capture_on_commit_callbacks(execute=True):
        spend(card_holder.token_account, 2)
    assert fake_stripe.posts("/v1/payment_intents") == []
    top_up = AutoTopUp.objects.get(user=card_holder)
    assert not top_up.enabled
    assert top_up.last_failure.startswith("The Starter pack is no longer on sale.")
    assert len(failure_emails()) == 1


@pytest.mark.django_db(transaction=True)
def test_racing_triggers_make_one_attempt_and_one_charge(fake_stripe, packs, buyer):
    account = funded(buyer, 2)  # below the level of 3
    AutoTopUp.objects.create(user=buyer, enabled=True, pack=packs["starter"],
                             payment_method_id="pm_card_visa", stripe_customer_id="cus_x",
                             card_label="Visa •••• 4242")
    fake_stripe.customer(email=buyer.email, id="cus_x")
    started = race(*[lambda: start_auto_top_up(account_id=account.pk) for _ in range(6)])
    assert sum(purchase is not None for purchase in started) == 1
    [purchase] = Purchase.objects.filter(automatic=True)
    # The charge task delivered four times at once, Stripe slow to answer: one request goes
    # through; the ones that overlap it get Stripe's 409 and leave the purchase to it.
    fake_stripe.latency = 0.3
    race(*[lambda: charge_auto_top_up(purchase_id=purchase.pk) for _ in range(4)])
    assert len(fake_stripe.idempotent) == 1  # one key, one answer stored
    # A later delivery finds the purchase paid and calls Stripe no more.
    assert charge_auto_top_up(purchase_id=purchase.pk) is None
    intents = [o for o in fake_stripe.objects.values() if o["object"] == "payment_intent"]
    assert len(intents) == 1 and intents[0]["metadata"]["purchase"] == str(purchase.public_id)
    purchase.refresh_from_db()
    assert purchase.status == "paid" and purchase.stripe_payment_intent_id == intents[0]["id"]
    assert balance_of(account) == 12
    assert find_balance_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_racing_reports_of_one_payment_credit_once(fake_stripe, packs, buyer,
                                                   webhook_endpoint):
    """The API answer and Stripe's webhook deliveries of one succeeded payment, at once."""
    account = funded(buyer, 2)
    AutoTopUp.objects.create(user=buyer, enabled=True, pack=packs["starter"],
                             payment_method_id="pm_card_visa", stripe_customer_id="cus_x",
                             card_label="Visa •••• 4242")
    fake_stripe.customer(email=buyer.email, id="cus_x")
    fake_stripe.processing.add("pm_card_visa")
    purchase = start_auto_top_up(account_id=account.pk)
    charge_auto_top_up(purchase_id=purchase.pk)
    purchase.refresh_from_db()
    intent = fake_stripe.settle(purchase.stripe_payment_intent_id)
    event = fake_stripe.event("payment_intent.succeeded", intent)
    results = race(*[lambda: fulfill_payment_intent(intent=dict(intent)) for _ in range(4)],
                   lambda: Webhooks(Client(), webhook_endpoint).post(event).status_code)
    assert results[-1] == 200
    assert balance_of(account) == 12
    assert LedgerEntry.objects.filter(
        idempotency_key=f"stripe:payment_intent:{intent['id']}").count() == 1
    assert find_balance_mismatches() == []


def test_the_local_test_mode_simulates_it(settings, packs, buyer, tasks_inline,
                                          django_capture_on_commit_callbacks):
    settings.DEBUG = True
    settings.STRIPE_TEST_SECRET_KEY = ""
    settings.STRIPE_LIVE_SECRET_KEY = ""
    funded(buyer, 4)
    client = client_for(buyer)
    assert "Test mode:" in history_page(buyer)
    page = client.post(reverse("billing:save_card"), follow=True).content.decode()
    assert "A test card is saved" in page and "Test card (nothing is charged)" in page
    client.post(reverse("billing:auto_top_up"), {"enabled": "true", "pack": packs["starter"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        spend(buyer.token_account, 2)
    purchase = Purchase.objects.get(automatic=True)
    assert purchase.test_mode and purchase.status == "paid"
    assert purchase.stripe_payment_intent_id == f"pi_test_local_{purchase.public_id.hex}"
    assert balance_of(buyer.token_account) == 12
    assert "(test, nothing charged)" in text(history_page(buyer))
    receipt = client.get(reverse("billing:receipt", args=[purchase.public_id])).content.decode()
    assert "TEST MODE purchase — nothing was charged." in receipt
    # A test card never reaches a real charge: with Stripe configured it fails, charging
    # nothing.
    settings.STRIPE_TEST_SECRET_KEY = "sk_test_" + "0" * 24
    AutoTopUp.objects.filter(user=buyer).update(
        last_attempt_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        spend(buyer.token_account, 10)
    assert Purchase.objects.filter(automatic=True, status="failed").count() == 1
    assert AutoTopUp.objects.get(user=buyer).last_failure == \
        "Test cards only work in development."


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "dark"), [(1280, False), (360, True)])
def test_the_automatic_top_up_card_in_a_browser(make_page, live_server, settings, packs,
                                                tasks_inline, width, dark):
    """Test mode (no Stripe keys): save the test card, turn it on while low (bought at once),
    see the last top-up in words, turn it off from the keyboard — on a desktop in light mode
    and a 360 px phone in dark mode, fitting the screen and passing axe-core."""
    settings.DEBUG = True
    user = make_verified_user(email=f"top-up-{width}@example.com")
    funded(user, 2)
    page = make_page(width, axe=True, dark=dark)
    sign_in_in_browser(page, user.email)
    page.goto(reverse("billing:history"))
    card = page.locator("[data-auto-top-up]")
    expect(card.locator("[data-top-up-test-mode]")).to_contain_text("nothing is ever charged")
    expect(card.locator("[data-top-up-state]")).to_have_text("Off. Save a card to turn it on.")
    page.get_by_role("button", name="Save a card (test)").click()
    expect(card.locator("[data-saved-card]")).to_contain_text("Test card (nothing is charged)")
    page.get_by_label("Pack to buy").select_option(label="Starter (10 tokens)")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("so we are buying it now")).to_be_visible()
    expect(page.locator('[data-auto-top-up="on"]')).to_be_visible()
    expect(card.locator("[data-last-top-up]")).to_contain_text(
        "Starter pack, 10 tokens for $5.00 (test, nothing charged), on")
    expect(card.locator("[data-next-top-up]")).to_contain_text("at most one a day")
    check_page(page, f"auto-top-up-{width}{'-dark' if dark else ''}")
    turn_off = page.get_by_role("button", name="Turn off")
    turn_off.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Automatic top-up is off.")).to_be_visible()
    expect(page.locator('[data-auto-top-up="off"]')).to_be_visible()
    assert not AutoTopUp.objects.get(user=user).enabled
    assert balance_of(user.token_account) == 12
