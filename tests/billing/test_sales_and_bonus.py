"""Flash sales and the bulk bonus, through the fake Stripe and signed webhooks: the server
decides what is on sale, checkout charges and records what the pricing page showed, the
bonus is a granted lot of its own, granted once, and refunds take back the refunded share of
both lots."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from billing.models import PackSale, Purchase
from billing.quotes import quote_pack
from billing.selectors import get_active_sales
from billing.services import create_checkout_session
from tests.billing.test_webhooks import deliver
from tests.helpers import assert_ledger_healthy, race, user_balance
from tokens.models import LedgerEntry, Lot
from tokens.services import spend_tokens


def sale_on(pack, *, price=None, bonus=0, starts=None, ends=None, name="Spring sale"):
    now = timezone.now()
    return PackSale.objects.create(
        pack=pack, name=name, sale_price_cents=price, bonus_tokens=bonus,
        starts_at=starts or now - timedelta(hours=1), ends_at=ends or now + timedelta(hours=2))


def open_checkout(checkouts, slug, quantity=1, now=None):
    return create_checkout_session(user=checkouts.user, pack=checkouts.catalog[slug],
                                   base_url="https://myba.example", quantity=quantity,
                                   now=now).purchase


def lots_of(purchase):
    return Lot.objects.get(entry=purchase.lot_entry), Lot.objects.get(entry=purchase.bonus_entry)


# --- the sale window ---------------------------------------------------------------------


def test_a_sale_is_on_only_inside_its_window(packs):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    sale = sale_on(packs["professional"], price=1500, starts=start,
                   ends=start + timedelta(hours=3))

    assert get_active_sales(now=start - timedelta(seconds=1)) == {}
    assert get_active_sales(now=start) == {packs["professional"].pk: sale}
    assert get_active_sales(now=start + timedelta(hours=3) - timedelta(seconds=1)) == {
        packs["professional"].pk: sale}
    assert get_active_sales(now=start + timedelta(hours=3)) == {}


@pytest.mark.parametrize("fields, field", [
    ({"sale_price_cents": 2000}, "sale_price_cents"),  # not below the price
    ({"sale_price_cents": None, "bonus_tokens": 0}, "sale_price_cents"),  # offers nothing
    ({"ends_offset": -1}, "ends_at"),
])
def test_admin_validation_refuses_a_bad_sale(packs, fields, field):
    now = timezone.now()
    ends = now + timedelta(hours=fields.pop("ends_offset", 1))
    sale = PackSale(pack=packs["professional"], starts_at=now, ends_at=ends,
                    **{"sale_price_cents": 1500, **fields})
    with pytest.raises(ValidationError) as error:
        sale.full_clean()
    assert field in error.value.message_dict


def test_admin_validation_refuses_overlapping_sales(packs):
    first = sale_on(packs["starter"], price=400)
    second = PackSale(pack=packs["starter"], sale_price_cents=300,
                      starts_at=first.ends_at - timedelta(minutes=1),
                      ends_at=first.ends_at + timedelta(hours=1))
    with pytest.raises(ValidationError, match="overlaps"):
        second.full_clean()


def test_staff_edit_sales_in_the_admin(superuser_client, packs):
    pack = packs["professional"]
    url = reverse("admin:billing_packsale_add")
    now = timezone.now()
    data = {"pack": pack.pk, "name": "Too cheap?", "sale_price_cents": "2500",
            "bonus_tokens": "0", "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": "00:00:00", "ends_at_0": now.strftime("%Y-%m-%d"),
            "ends_at_1": "23:59:00"}
    response = superuser_client.post(url, data)
    assert response.status_code == 200 and "must be below" in response.content.decode()
    assert superuser_client.post(url, {**data, "sale_price_cents": "1500"}).status_code == 302
    assert PackSale.objects.get().sale_price_cents == 1500


# --- the pricing page and checkout -------------------------------------------------------


def test_pricing_shows_the_sale_struck_price_bonus_and_quantity(client, buyer, packs):
    sale = sale_on(packs["professional"], price=1500, bonus=5)
    client.force_login(buyer)
    html = client.get(reverse("billing:pricing")).content.decode()

    card = html[html.index('data-pack="professional"'):html.index('data-pack="enterprise"')]
    assert "$12.00" in card  # $15.00 sale price, first-purchase 20% off
    assert "<del data-regular-price>$20.00</del>" in card
    assert f'<time datetime="{sale.ends_at.isoformat()}' in card
    assert "+5 bonus" in card
    assert card.count("<option") == 10
    enterprise = html[html.index('data-pack="enterprise"'):]
    assert "+20 bonus" in enterprise.split("</section>")[0]  # the biggest pack: +10%


def test_checkout_charges_the_sale_price_with_the_packs_product(checkouts):
    checkouts.pay(checkouts.open("starter"))  # the first-purchase discount is used up
    pack = checkouts.catalog["professional"]
    sale = sale_on(pack, price=1500, bonus=5)

    purchase = open_checkout(checkouts, "professional", quantity=2)

    params = checkouts.fake.posts("/v1/checkout/sessions")[-1]
    assert params["line_items"]["0"] == {
        "price_data": {"currency": "usd", "product": pack.stripe_product_id,
                       "unit_amount": "1500"},
        "quantity": "2"}
    assert params["metadata"]["sale"] == str(sale.pk)
    assert (params["metadata"]["tokens"], params["metadata"]["bonus_tokens"]) == ("100", "10")
    assert (purchase.amount_subtotal, purchase.amount_total) == (3000, 3000)
    assert (purchase.tokens, purchase.bonus_tokens, purchase.sale) == (100, 10, sale)


def test_the_sale_ending_mid_checkout_grants_what_was_shown(checkouts, buyer):
    pack = checkouts.catalog["professional"]
    now = timezone.now()
    sale_on(pack, price=1500, bonus=5, ends=now + timedelta(minutes=5))
    purchase = open_checkout(checkouts, "professional", quantity=1, now=now)
    shown = quote_pack(pack=pack, sale=get_active_sales(now=now)[pack.pk])

    # The customer pays after the sale ended: the session still charges what it was opened at.
    assert get_active_sales(now=now + timedelta(minutes=6)) == {}
    PackSale.objects.all().delete()  # even if staff delete the sale meanwhile
    purchase = checkouts.pay(purchase)

    assert purchase.amount_subtotal == shown.subtotal == 1500
    assert purchase.amount_total == 1200  # first purchase: 20% off the sale price
    assert purchase.tokens == 50 and purchase.bonus_tokens == shown.bonus_tokens == 5
    assert user_balance(buyer) == 55
    assert purchase.bonus_entry.kind == "purchase_bonus"
    assert_ledger_healthy()


@pytest.mark.parametrize("quantity", ["0", "11", "-1", "two"])
def test_quantity_is_checked_on_the_server(client, buyer, fake_stripe, synced_catalog,
                                           quantity):
    client.force_login(buyer)
    response = client.post(reverse("billing:checkout", args=["starter"]),
                           {"quantity": quantity}, follow=True)
    assert "Choose from 1 to 10 packs." in response.content.decode()
    assert not Purchase.objects.exists()
    assert fake_stripe.posts("/v1/checkout/sessions") == []


# --- the bulk bonus ------------------------------------------------------------------------


@pytest.mark.parametrize("slug, quantity, bonus", [
    ("starter", 9, 0),  # $45.00: under $50
    ("starter", 10, 10),  # $50.00: 10% of 100
    ("professional", 3, 15),
    ("enterprise", 1, 20),  # the biggest pack alone
])
def test_bulk_bonus_rule(packs, slug, quantity, bonus):
    assert quote_pack(pack=packs[slug], quantity=quantity).bulk_bonus_tokens == bonus


@pytest.mark.django_db(transaction=True)
def test_bulk_bonus_is_granted_once_however_often_the_webhook_comes(
        fake_stripe, synced_catalog, buyer, webhook_endpoint):
    purchase = create_checkout_session(user=buyer, pack=synced_catalog["professional"],
                                       base_url="https://myba.example", quantity=3).purchase
    event = fake_stripe.event("checkout.session.completed",
                              fake_stripe.complete_session(purchase.stripe_checkout_session_id))

    answers = race(*[lambda: deliver(webhook_endpoint, event)] * 3)
    assert deliver(webhook_endpoint, event).status_code == 200  # and once more, late

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    purchase.refresh_from_db()
    assert (purchase.tokens, purchase.bonus_tokens) == (150, 15)
    assert user_balance(buyer) == 165
    assert LedgerEntry.objects.filter(kind="purchase").get().amount == 150
    bonus = LedgerEntry.objects.filter(kind="purchase_bonus").get()
    assert (bonus.amount, bonus.idempotency_key) == (
        15, f"stripe:checkout:{purchase.stripe_checkout_session_id}:bonus")
    assert bonus.lot.source == "granted" and purchase.bonus_entry == bonus
    assert_ledger_healthy()


def test_full_refund_takes_back_both_lots(checkouts, buyer):
    purchase = checkouts.pay(open_checkout(checkouts, "professional", quantity=3))
    assert user_balance(buyer) == 165

    purchase = checkouts.refund(purchase)

    assert purchase.status == Purchase.Status.REFUNDED
    assert (purchase.tokens_clawed_back, purchase.bonus_clawed_back) == (150, 15)
    assert user_balance(buyer) == 0
    assert [lot.remaining for lot in lots_of(purchase)] == [0, 0]
    assert not purchase.needs_review
    assert_ledger_healthy()


def test_partial_refunds_take_back_the_refunded_share_of_each_lot(checkouts, buyer):
    purchase = checkouts.pay(open_checkout(checkouts, "professional", quantity=3))
    charged = purchase.amount_total  # $60.00 - 20% first purchase = $48.00
    assert (charged, user_balance(buyer)) == (4800, 165)

    purchase = checkouts.refund(purchase, charged // 3)  # a third back
    assert purchase.status == Purchase.Status.PARTIALLY_REFUNDED
    assert (purchase.tokens_clawed_back, purchase.bonus_clawed_back) == (50, 5)
    assert user_balance(buyer) == 110

    purchase = checkouts.refund(purchase, charged // 3)  # two thirds back in all
    assert (purchase.tokens_clawed_back, purchase.bonus_clawed_back) == (100, 10)
    assert user_balance(buyer) == 55

    purchase = checkouts.refund(purchase)  # the rest
    assert (purchase.tokens_clawed_back, purchase.bonus_clawed_back) == (150, 15)
    assert user_balance(buyer) == 0
    refunds = LedgerEntry.objects.filter(kind="refund_clawback").order_by("pk")
    assert [entry.amount for entry in refunds] == [-50, -5, -50, -5, -50, -5]
    assert_ledger_healthy()


def test_a_refund_after_the_bonus_was_spent_takes_what_is_left_and_flags_it(checkouts, buyer):
    purchase = checkouts.pay(open_checkout(checkouts, "professional", quantity=3))
    buyer.refresh_from_db()
    # Granted tokens are spent before paid ones: these 20 are the 15 bonus and 5 paid.
    spend_tokens(account=buyer.token_account, amount=20, idempotency_key="test:spend:bonus")

    purchase = checkouts.refund(purchase, purchase.amount_total // 2)

    paid, bonus = lots_of(purchase)
    assert (paid.remaining, bonus.remaining) == (145 - 75, 0)
    assert (purchase.tokens_clawed_back, purchase.bonus_clawed_back) == (75, 0)
    assert (purchase.clawback_shortfall, purchase.bonus_clawback_shortfall) == (0, 7)
    assert purchase.needs_review
    assert user_balance(buyer) == 165 - 20 - 75
    assert_ledger_healthy()
