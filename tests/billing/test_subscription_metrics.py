"""The staff's Subscriptions page: MRR, subscribers by plan, trials and conversion, churn,
payment problems and promotion code redemptions — each figure equal to the rows listed (and
exported) beside it, for a known set of subscriptions; and a plan bought with a code through
Stripe's own events counted as a redemption here and on the Promotions page."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import get_or_open_user_account
from billing.models import (
    PlanSubscription,
    PromotionCode,
    Purchase,
    SubscriptionCheckout,
    SubscriptionInvoice,
)
from billing.services import create_promotion_code
from tests.billing.conftest import Subscriber, without_trial
from tests.builders import make_verified_user, new_key
from tokens.services import grant_tokens

PAGE = reverse("admin_dashboard:subscriptions")


def customer():
    """A signed-up customer and their token account."""
    user = make_verified_user()
    return user, get_or_open_user_account(user=user)
Status = PlanSubscription.Status


def subscription(plan, status: str, *, started: int, trial_days: int = 0,
                 paid: tuple[int, ...] = (), ended: int | None = None, **fields):
    """A subscription started `started` days ago whose billing periods were paid `paid` days
    ago (each), ended `ended` days ago if given."""
    now = timezone.now()
    user, account = customer()
    row = PlanSubscription.objects.create(
        token_account=account, user=user, plan=plan, status=status,
        stripe_subscription_id=f"sub_{uuid.uuid4().hex[:14]}", started_at=now - timedelta(
            days=started), trial_end=now - timedelta(days=started - trial_days)
        if trial_days else None, ended_at=now - timedelta(days=ended) if ended else None,
        current_period_end=now + timedelta(days=10), **fields)
    for days in paid:
        SubscriptionInvoice.objects.create(
            subscription=row, plan=plan, kind=SubscriptionInvoice.Kind.PERIOD,
            stripe_invoice_id=f"in_{uuid.uuid4().hex[:14]}",
            period_start=now - timedelta(days=days),
            period_end=now - timedelta(days=days) + timedelta(days=30 * plan.months),
            amount_paid=plan.price_cents, currency=plan.currency,
            paid_at=now - timedelta(days=days))
    return row


def redeemed_checkout(plan, promotion, *, days_ago: int) -> SubscriptionCheckout:
    user, account = customer()
    return SubscriptionCheckout.objects.create(
        token_account=account, user=user, plan=plan, promotion_code=promotion,
        stripe_checkout_session_id=f"cs_{uuid.uuid4().hex}", status="complete",
        amount_subtotal=plan.price_cents, amount_total=plan.price_cents // 2,
        currency=plan.currency, completed_at=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def book(plans, packs, staff):
    """Subscriptions in every state the page tells apart, by name (days are days ago; the
    page's default range is the last 30 days)."""
    basic, yearly, pro = plans["basic-monthly"], plans["basic-yearly"], plans["pro-monthly"]
    code = PromotionCode.objects.create(code="HALF", percent_off=50, applies_to_plans=True,
                                        test_mode=True, request_key=uuid.uuid4())
    buyer, account = customer()
    lot = grant_tokens(account=account, amount=10, kind="purchase", source="paid",
                       idempotency_key=new_key("purchase"))
    Purchase.objects.create(
        user=buyer, token_account=account, pack=packs["starter"], tokens=10, lot_entry=lot,
        amount_subtotal=500, amount_total=250, currency="usd", status="paid",
        promotion_code=code, paid_at=timezone.now() - timedelta(days=2), test_mode=True)
    return {
        "monthly": subscription(basic, Status.ACTIVE, started=60, paid=(60, 30)),
        "yearly": subscription(yearly, Status.ACTIVE, started=100, paid=(100,)),
        "past_due": subscription(pro, Status.PAST_DUE, started=45, paid=(45,)),
        "in_trial": subscription(pro, Status.TRIALING, started=3, trial_days=7),
        "converted": subscription(basic, Status.ACTIVE, started=20, trial_days=7, paid=(13,),
                                  cancel_at_period_end=True, cancel_reason="Too expensive"),
        "trial_lapsed": subscription(basic, Status.CANCELED, started=15, trial_days=7,
                                     ended=8),
        "churned": subscription(pro, Status.CANCELED, started=90, paid=(90, 60, 30), ended=10),
        "unpaid": subscription(basic, Status.UNPAID, started=70, paid=(70,)),
        "churned_long_ago": subscription(basic, Status.CANCELED, started=80, paid=(80,),
                                         ended=40),
        "duplicate": subscription(pro, Status.ACTIVE, started=5, paid=(5,), duplicate=True),
        "redeemed": redeemed_checkout(basic, code, days_ago=5),
        "redeemed_long_ago": redeemed_checkout(basic, code, days_ago=45),
    }


def listed(page, name: str) -> set[str]:
    return {s.stripe_subscription_id for s in page.context["lists"][name]["rows"]}


def ids(book, *names) -> set[str]:
    return {book[name].stripe_subscription_id for name in names}


def exported(staff_client, name: str) -> list[dict]:
    response = staff_client.get(PAGE, {"range": "30", "format": "csv", "list": name})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_each_figure_is_the_count_of_the_rows_listed_beside_it(book, staff_client):
    page = staff_client.get(PAGE, {"range": "30"})
    assert page.status_code == 200
    c = page.context
    # MRR: the active and past-due ones at list price a month (yearly / 12), not the trial,
    # the unpaid, the ended or the duplicate.
    assert [(r.currency, r.cents, r.subscriptions) for r in c["revenue"]] == [
        ("usd", 1500 + 15000 // 12 + 4500 + 1500, 4)]
    assert c["mrr_label"] == "$87.50"
    by_plan = {row.plan.slug: (row.trialing, row.active, row.past_due, row.unpaid, row.mrr_cents)
               for row in c["by_plan"]}
    assert by_plan == {"basic-monthly": (0, 2, 0, 1, 3000), "basic-yearly": (0, 1, 0, 0, 1250),
                       "pro-monthly": (1, 0, 1, 0, 4500)}
    assert c["live_count"] == sum(row.total for row in c["by_plan"]) == 6
    assert sum(row.mrr_cents for row in c["by_plan"]) == c["revenue"][0].cents

    assert listed(page, "trouble") == ids(book, "past_due", "unpaid")
    assert c["lists"]["trouble"]["count"] == 2
    assert listed(page, "cancelling") == ids(book, "converted")
    assert listed(page, "trialing") == ids(book, "in_trial")
    assert listed(page, "started") == ids(book, "in_trial", "converted", "trial_lapsed")

    # Trials that ended in the range: one paid a period, one lapsed.
    assert listed(page, "trials_ended") == ids(book, "converted", "trial_lapsed")
    assert (c["converted"], c["trials_ended"], c["conversion"]) == (1, 2, 50.0)
    # Churn: one paying subscription ended in the range, of five paying at its start (the
    # one that ended 40 days ago was gone; the trial converted after the start).
    assert listed(page, "churned") == ids(book, "churned")
    assert (c["lists"]["churned"]["count"], c["paying_at_start"], c["churn"]) == (1, 5, 20.0)
    # Redemptions: the pack bought with the code and the plan checkout, not the old one.
    assert c["redemption_count"] == 2 == len(c["redemptions"])
    assert {r.what for r in c["redemptions"]} == {"1 × Starter", "Basic plan"}

    html = page.content.decode()
    assert "$87.50" in html and "Too expensive" in html and "50.0%" in html and "20.0%" in html
    assert reverse("admin_dashboard:user_detail", args=[book["past_due"].user_id]) in html


def test_the_exports_hold_the_same_rows_as_the_figures(book, staff_client):
    churned = exported(staff_client, "churned")
    assert [row["subscription"] for row in churned] == [book["churned"].stripe_subscription_id]
    assert {row["subscription"] for row in exported(staff_client, "trials_ended")} == ids(
        book, "converted", "trial_lapsed")
    assert [row["paying"] for row in exported(staff_client, "trials_ended")].count("True") == 1
    assert len(exported(staff_client, "redemptions")) == 2
    assert staff_client.get(PAGE, {"format": "csv", "list": "nonsense"}).status_code == 404


def test_a_custom_range_moves_the_period_figures_and_not_the_current_ones(book, staff_client):
    today = timezone.localdate()
    page = staff_client.get(PAGE, {"range": "custom", "from": str(today - timedelta(days=50)),
                                   "to": str(today - timedelta(days=35))})
    c = page.context
    assert listed(page, "churned") == ids(book, "churned_long_ago")
    assert c["redemption_count"] == 1 and c["trials_ended"] == 0 and c["conversion"] is None
    assert c["mrr_label"] == "$87.50" and c["live_count"] == 6  # "now" ignores the range

    bad = staff_client.get(PAGE, {"range": "custom", "from": "2026-13-01"})
    assert bad.status_code == 200 and "Showing the last 30 days" in bad.content.decode()


def test_with_no_subscriptions_every_section_says_so(staff_client, plans):
    page = staff_client.get(PAGE)
    html = " ".join(page.content.decode().split())
    for sentence in ("Nobody subscribes to a plan yet.", "No payment problems",
                     "Nobody has asked to cancel.", "Nobody is in a trial.",
                     "No trial ended in this range.", "No promotion code was redeemed"):
        assert sentence in html
    assert page.context["mrr_label"] == "$0.00" and page.context["churn"] is None
    assert 'id="by-plan"' not in html  # no empty table beside the sentence


def test_only_staff_see_the_page(client, buyer):
    assert client.get(PAGE).status_code in (302, 404)
    client.force_login(buyer)
    assert client.get(PAGE).status_code == 404


def test_a_plan_bought_with_a_code_is_a_redemption_on_both_pages(
        fake_stripe, synced_plans, webhooks, tasks_inline, django_capture_on_commit_callbacks,
        staff, staff_client):
    without_trial(synced_plans, "basic-monthly")
    promotion = create_promotion_code(actor=staff, request_key=uuid.uuid4(), code="PLAN20",
                                      percent_off=20, applies_to_packs=False,
                                      applies_to_plans=True)
    subscriber = Subscriber(fake_stripe, synced_plans, make_verified_user(), webhooks,
                            on_commit=django_capture_on_commit_callbacks)
    row = subscriber.subscribe("basic-monthly",
                               promotion_code=promotion.stripe_promotion_code_id, repeat=2)
    assert row.status == Status.ACTIVE and row.started_at is not None
    checkout = SubscriptionCheckout.objects.get(user=subscriber.user)
    assert (checkout.promotion_code, checkout.amount_subtotal, checkout.amount_total) == (
        promotion, 1500, 1200)
    assert SubscriptionInvoice.objects.get(subscription=row).amount_paid == 1200

    page = staff_client.get(PAGE)
    assert page.context["redemption_count"] == 1
    assert page.context["redemptions"][0].code == "PLAN20"
    assert page.context["mrr_label"] == "$15.00"  # list price: the code took the first month
    codes = {code.code: code for code in staff_client.get(
        reverse("admin_dashboard:promotions")).context["codes"]}
    assert (codes["PLAN20"].redemptions, codes["PLAN20"].charged,
            codes["PLAN20"].discount_given) == (1, 1200, 300)
    assert [c.pk for c in codes["PLAN20"].redeemed_checkouts] == [checkout.pk]

    # The subscription ends at Stripe: it leaves MRR and is listed as churned.
    subscriber.step(subscriber.clock.give_up(subscriber.subscription_id))
    ended = PlanSubscription.objects.get(pk=row.pk).ended_at
    assert ended is not None
    # The fake's clock ended it after the retries, days from today.
    page = staff_client.get(PAGE, {"range": "custom", "from": str(timezone.localdate()),
                                   "to": str(ended.date())})
    assert page.context["mrr_label"] == "$0.00"
    assert listed(page, "churned") == {row.stripe_subscription_id}


def test_staff_edit_plans_and_read_subscriptions_in_the_django_admin(book, superuser_client,
                                                                     plans):
    plan = plans["basic-monthly"]
    for path in ("/admin/billing/subscriptionplan/", "/admin/billing/plansubscription/",
                 "/admin/billing/subscriptioninvoice/", "/admin/billing/allowancegrant/",
                 "/admin/billing/subscriptioncheckout/",
                 f"/admin/billing/plansubscription/{book['churned'].pk}/change/"):
        assert superuser_client.get(path).status_code == 200, path
    change = f"/admin/billing/subscriptionplan/{plan.pk}/change/"
    form = superuser_client.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(name="Basic", tokens_per_month=60, active="on")
    response = superuser_client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.tokens_per_month == 60
    assert superuser_client.post(f"/admin/billing/plansubscription/{book['churned'].pk}/change/",
                                 {"status": "active"}).status_code == 403
    assert PlanSubscription.objects.get(pk=book["churned"].pk).status == Status.CANCELED
